package expr

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// LIKE follows ksqlDB's LikeEvaluator: % is any run of characters and _ any
// one character, both as Java regex "." so neither matches a line
// terminator; the escape character makes the next pattern character
// literal. Patterns compile to a token list matched without regexp, so a
// match allocates nothing.

type likeKind uint8

const (
	likeLit  likeKind = iota // a literal string
	likeOne                  // _
	likeMany                 // %
)

type likeTok struct {
	kind likeKind
	lit  string
}

type likePattern struct {
	toks []likeTok
	// shape and lit describe the common patterns that need no general
	// matcher: 'abc', 'abc%', '%abc' and '%abc%'.
	shape likeShape
	lit   string
}

type likeShape uint8

const (
	likeGeneral likeShape = iota
	likeExact
	likePrefix
	likeSuffix
	likeContains
)

var errLikeEscapeEnd = errors.New("LIKE pattern must not end with escape character")

func compileLike(p string, esc rune) (*likePattern, error) {
	var toks []likeTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, likeTok{kind: likeLit, lit: lit.String()})
			lit.Reset()
		}
	}
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			lit.WriteRune(r)
			escaped = false
		case esc >= 0 && r == esc:
			escaped = true
		case r == '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != likeMany {
				toks = append(toks, likeTok{kind: likeMany})
			}
		case r == '_':
			flush()
			toks = append(toks, likeTok{kind: likeOne})
		default:
			lit.WriteRune(r)
		}
	}
	if escaped {
		return nil, errLikeEscapeEnd
	}
	flush()
	lp := &likePattern{toks: toks}
	switch {
	case len(toks) == 0:
		lp.shape = likeExact
	case len(toks) == 1 && toks[0].kind == likeLit:
		lp.shape, lp.lit = likeExact, toks[0].lit
	case len(toks) == 2 && toks[0].kind == likeLit && toks[1].kind == likeMany:
		lp.shape, lp.lit = likePrefix, toks[0].lit
	case len(toks) == 2 && toks[0].kind == likeMany && toks[1].kind == likeLit:
		lp.shape, lp.lit = likeSuffix, toks[1].lit
	case len(toks) == 3 && toks[0].kind == likeMany && toks[1].kind == likeLit && toks[2].kind == likeMany:
		lp.shape, lp.lit = likeContains, toks[1].lit
	}
	return lp, nil
}

// noTerminator reports a string a % may match: one without line
// terminators. Most strings are ASCII without control characters, which
// is checked byte by byte.
func noTerminator(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\r' {
			return false
		}
		if c >= 0x80 {
			return strings.IndexFunc(s[i:], isLineTerminator) < 0
		}
	}
	return true
}

func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

func (p *likePattern) match(s string) bool {
	switch p.shape {
	case likeExact:
		return s == p.lit
	case likePrefix:
		return strings.HasPrefix(s, p.lit) && noTerminator(s[len(p.lit):])
	case likeSuffix:
		return strings.HasSuffix(s, p.lit) && noTerminator(s[:len(s)-len(p.lit)])
	}
	if !noTerminator(s) {
		return matchToks(p.toks, s)
	}
	if p.shape == likeContains {
		return strings.Contains(s, p.lit)
	}
	return matchLinear(p.toks, s)
}

// matchLinear is the classic wildcard match that backtracks only to the
// last %, which is exact when % may match anything: O(len(s)·len(toks))
// whatever the pattern. It serves strings without line terminators.
func matchLinear(toks []likeTok, s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			switch t := toks[ti]; t.kind {
			case likeMany:
				starT, starS = ti, si
				ti++
				continue
			case likeLit:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			case likeOne:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si, ti = starS, starT+1
	}
}

// matchToks matches recursively; % tries each cut point, stopping at a
// line terminator, which it may not cross. Only strings holding a line
// terminator come here, and a terminator bounds every %'s reach.
func matchToks(toks []likeTok, s string) bool {
	for len(toks) > 0 {
		t := toks[0]
		switch t.kind {
		case likeLit:
			if !strings.HasPrefix(s, t.lit) {
				return false
			}
			s = s[len(t.lit):]
		case likeOne:
			r, n := utf8.DecodeRuneInString(s)
			if n == 0 || isLineTerminator(r) {
				return false
			}
			s = s[n:]
		case likeMany:
			rest := toks[1:]
			if len(rest) == 0 {
				return strings.IndexFunc(s, isLineTerminator) < 0
			}
			for i := 0; ; {
				if matchToks(rest, s[i:]) {
					return true
				}
				if i >= len(s) {
					return false
				}
				r, n := utf8.DecodeRuneInString(s[i:])
				if isLineTerminator(r) {
					return false
				}
				i += n
			}
		}
		toks = toks[1:]
	}
	return s == ""
}
