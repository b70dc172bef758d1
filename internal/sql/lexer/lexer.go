package lexer

import "strings"

// Lexer produces tokens from source text one at a time. Whitespace and
// comments are skipped. The zero value is not usable; call New.
type Lexer struct {
	src  string
	off  int
	line int
	col  int
}

// New returns a lexer over src.
func New(src string) *Lexer { return &Lexer{src: src, line: 1, col: 1} }

// All lexes the whole of src, ending with an EOF token. Lexing never fails:
// bad input becomes an Illegal token (or an unterminated String/quoted
// identifier, which is reported as Illegal) for the parser to report.
func All(src string) []Token {
	l := New(src)
	toks := make([]Token, 0, len(src)/4+1)
	for {
		t := l.Next()
		toks = append(toks, t)
		if t.Kind == EOF {
			return toks
		}
	}
}

func (l *Lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Col: l.col} }

// advance moves past n bytes, keeping line and column in step.
func (l *Lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		switch c := l.src[l.off]; {
		case c == '\n':
			l.line++
			l.col = 1
		case c&0xC0 != 0x80:
			// Columns count characters, not UTF-8 continuation bytes, as
			// ksqlDB's positions do.
			l.col++
		}
		l.off++
	}
}

func (l *Lexer) peek(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '@'
}

// skipSpace skips whitespace and both comment forms. An unterminated /* is
// left for Next to report as an Illegal token.
func (l *Lexer) skipSpace() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			l.advance(1)
		case c == '-' && l.peek(1) == '-':
			n := strings.IndexByte(l.src[l.off:], '\n')
			if n < 0 {
				n = len(l.src) - l.off
			}
			l.advance(n)
		case c == '/' && l.peek(1) == '*':
			n := strings.Index(l.src[l.off+2:], "*/")
			if n < 0 {
				return
			}
			l.advance(n + 4)
		default:
			return
		}
	}
}

// Next returns the next token.
func (l *Lexer) Next() Token {
	l.skipSpace()
	start := l.pos()
	if l.off >= len(l.src) {
		return Token{Kind: EOF, Pos: start}
	}
	c := l.src[l.off]
	tok := func(k Kind, n int) Token {
		text := l.src[l.off : l.off+n]
		l.advance(n)
		return Token{Kind: k, Pos: start, Text: text, Value: text}
	}
	switch {
	case isLetter(c) || c == '_':
		n := 1
		for l.off+n < len(l.src) && isIdentChar(l.src[l.off+n]) {
			n++
		}
		t := tok(Ident, n)
		t.Value = strings.ToUpper(t.Text)
		return t
	case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
		return l.number(start)
	case c == '\'':
		return l.quoted(start, '\'', String)
	case c == '"':
		return l.quoted(start, '"', QuotedIdent)
	case c == '`':
		return l.quoted(start, '`', BackQuoted)
	case c == '/' && l.peek(1) == '*':
		// Only an unterminated comment reaches here.
		return tok(Illegal, len(l.src)-l.off)
	case c == '$' && l.peek(1) == '{':
		n := 2
		if l.off+n < len(l.src) && (isLetter(l.src[l.off+n]) || l.src[l.off+n] == '_') {
			for l.off+n < len(l.src) && isIdentChar(l.src[l.off+n]) {
				n++
			}
			if l.off+n < len(l.src) && l.src[l.off+n] == '}' && n > 2 {
				t := tok(Variable, n+1)
				t.Value = t.Text[2 : len(t.Text)-1]
				return t
			}
		}
		return tok(Illegal, 1)
	}
	two := ""
	if l.off+1 < len(l.src) {
		two = l.src[l.off : l.off+2]
	}
	switch two {
	case "<>", "!=":
		return tok(Neq, 2)
	case "<=":
		return tok(Lte, 2)
	case ">=":
		return tok(Gte, 2)
	case "||":
		return tok(Concat, 2)
	case ":=":
		return tok(Assign, 2)
	case "->":
		return tok(Arrow, 2)
	case "=>":
		return tok(Lambda, 2)
	}
	switch c {
	case '(':
		return tok(LParen, 1)
	case ')':
		return tok(RParen, 1)
	case '[':
		return tok(LBracket, 1)
	case ']':
		return tok(RBracket, 1)
	case ',':
		return tok(Comma, 1)
	case '.':
		return tok(Dot, 1)
	case ';':
		return tok(Semicolon, 1)
	case '=':
		return tok(Eq, 1)
	case '<':
		return tok(Lt, 1)
	case '>':
		return tok(Gt, 1)
	case '+':
		return tok(Plus, 1)
	case '-':
		return tok(Minus, 1)
	case '*':
		return tok(Asterisk, 1)
	case '/':
		return tok(Slash, 1)
	case '%':
		return tok(Percent, 1)
	}
	// One whole UTF-8 sequence becomes the illegal token so error messages
	// quote a readable character.
	n := 1
	for l.off+n < len(l.src) && l.src[l.off+n]&0xC0 == 0x80 {
		n++
	}
	return tok(Illegal, n)
}

// number lexes INTEGER_VALUE, DECIMAL_VALUE, FLOATING_POINT_VALUE and
// DIGIT_IDENTIFIER, following the grammar's longest-match rules.
func (l *Lexer) number(start Pos) Token {
	s := l.src[l.off:]
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i
	kind := Integer
	if i < len(s) && s[i] == '.' {
		kind = Decimal
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			kind = Float
			i = j
		}
	}
	// A digit-led word is a DIGIT_IDENTIFIER when that match is longer,
	// as ANTLR's longest-match rule decides: "7abc", "1e5x".
	noDot := !strings.ContainsRune(s[:i], '.')
	if (kind == Integer || kind == Float && noDot) && intDigits > 0 && i < len(s) && (isLetter(s[i]) || s[i] == '_' || s[i] == '@') {
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		kind = DigitIdent
	}
	text := s[:i]
	l.advance(i)
	v := text
	if kind == DigitIdent {
		v = strings.ToUpper(text)
	}
	return Token{Kind: kind, Pos: start, Text: text, Value: v}
}

// quoted lexes a token delimited by q, where a doubled q stands for one.
func (l *Lexer) quoted(start Pos, q byte, kind Kind) Token {
	s := l.src[l.off:]
	var b strings.Builder
	i := 1
	seg := 1
	for i < len(s) {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				b.WriteString(s[seg : i+1])
				i += 2
				seg = i
				continue
			}
			b.WriteString(s[seg:i])
			text := s[:i+1]
			l.advance(i + 1)
			return Token{Kind: kind, Pos: start, Text: text, Value: b.String()}
		}
		i++
	}
	text := s
	l.advance(len(s))
	return Token{Kind: Illegal, Pos: start, Text: text, Value: text}
}
