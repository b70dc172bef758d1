// Package lexer turns ksqlDB SQL text into tokens with positions. It owns the
// token vocabulary (keywords, reserved words, operators) that the parser and
// the statement splitter share, and nothing about grammar.
package lexer

import "fmt"

// Pos is a position in the source text. Line and Col are 1-based and Col
// counts characters, as ksqlDB's "line L:C" error messages do; Offset is
// the 0-based byte offset.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Kind classifies a token.
type Kind uint8

// Token kinds. Keywords are lexed as Ident; the parser decides from context
// whether a word is a keyword, because most ksqlDB keywords are non-reserved.
const (
	EOF Kind = iota
	Illegal
	Ident       // unquoted word, keyword or identifier
	QuotedIdent // "double quoted"
	BackQuoted  // `back quoted`
	DigitIdent  // 1abc: starts with a digit, contains a letter
	String      // 'single quoted'
	Integer     // 123
	Decimal     // 1.5, .5, 1.
	Float       // 1e5, 1.5E-3
	Variable    // ${name}
	LParen      // (
	RParen      // )
	LBracket    // [
	RBracket    // ]
	Comma       // ,
	Dot         // .
	Semicolon   // ;
	Eq          // =
	Neq         // <> or !=
	Lt          // <
	Lte         // <=
	Gt          // >
	Gte         // >=
	Plus        // +
	Minus       // -
	Asterisk    // *
	Slash       // /
	Percent     // %
	Concat      // ||
	Assign      // :=
	Arrow       // ->
	Lambda      // =>
)

var kindNames = [...]string{
	EOF: "<EOF>", Illegal: "illegal", Ident: "IDENTIFIER", QuotedIdent: "QUOTED_IDENTIFIER",
	BackQuoted: "BACKQUOTED_IDENTIFIER", DigitIdent: "DIGIT_IDENTIFIER", String: "STRING",
	Integer: "INTEGER_VALUE", Decimal: "DECIMAL_VALUE", Float: "FLOATING_POINT_VALUE",
	Variable: "VARIABLE", LParen: "'('", RParen: "')'", LBracket: "'['", RBracket: "']'",
	Comma: "','", Dot: "'.'", Semicolon: "';'", Eq: "'='", Neq: "'<>'", Lt: "'<'", Lte: "'<='",
	Gt: "'>'", Gte: "'>='", Plus: "'+'", Minus: "'-'", Asterisk: "'*'", Slash: "'/'",
	Percent: "'%'", Concat: "'||'", Assign: "':='", Arrow: "'->'", Lambda: "'=>'",
}

// String names the kind the way ANTLR names ksqlDB's tokens in "Expecting"
// messages, so error text matches ksqlDB's.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Token is one lexeme. Text is the source text exactly as written; Value is
// the decoded content for strings and quoted identifiers (quotes removed,
// doubled quotes collapsed), the upper-cased word for Ident, and the name
// inside ${...} for Variable.
type Token struct {
	Kind  Kind
	Pos   Pos
	Text  string
	Value string
}

// End is the offset just past the token.
func (t Token) End() int { return t.Pos.Offset + len(t.Text) }

// Is reports whether t is the unquoted word kw (kw upper-case).
func (t Token) Is(kw string) bool { return t.Kind == Ident && t.Value == kw }
