package calc

import (
	"fmt"
	"strconv"
	"unicode"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokNumber
	tokIdent
	tokOp
	tokLParen
	tokRParen
	tokComma
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of input"
	case tokNumber:
		return "number"
	case tokIdent:
		return "identifier"
	case tokOp:
		return "operator"
	case tokLParen:
		return "'('"
	case tokRParen:
		return "')'"
	case tokComma:
		return "','"
	}
	return "token"
}

type token struct {
	kind tokenKind
	text string
	num  float64
	pos  int
}

// SyntaxError reports where an expression stopped making sense.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("calc: syntax error at offset %d: %s", e.Pos, e.Msg)
}

func tokenize(src string) ([]token, error) {
	var toks []token
	runes := []rune(src)
	for i := 0; i < len(runes); {
		r := runes[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case unicode.IsDigit(r) || r == '.':
			start := i
			for i < len(runes) && (unicode.IsDigit(runes[i]) || runes[i] == '.') {
				i++
			}
			if i < len(runes) && (runes[i] == 'e' || runes[i] == 'E') {
				j := i + 1
				if j < len(runes) && (runes[j] == '+' || runes[j] == '-') {
					j++
				}
				if j < len(runes) && unicode.IsDigit(runes[j]) {
					i = j
					for i < len(runes) && unicode.IsDigit(runes[i]) {
						i++
					}
				}
			}
			text := string(runes[start:i])
			n, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return nil, &SyntaxError{start, fmt.Sprintf("bad number %q", text)}
			}
			toks = append(toks, token{kind: tokNumber, text: text, num: n, pos: start})
		case unicode.IsLetter(r) || r == '_':
			start := i
			for i < len(runes) && (unicode.IsLetter(runes[i]) || unicode.IsDigit(runes[i]) || runes[i] == '_') {
				i++
			}
			toks = append(toks, token{kind: tokIdent, text: string(runes[start:i]), pos: start})
		case r == '+' || r == '-' || r == '*' || r == '/' || r == '%' || r == '^':
			toks = append(toks, token{kind: tokOp, text: string(r), pos: i})
			i++
		case r == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: i})
			i++
		case r == ',':
			toks = append(toks, token{kind: tokComma, text: ",", pos: i})
			i++
		default:
			return nil, &SyntaxError{i, fmt.Sprintf("unexpected character %q", r)}
		}
	}
	toks = append(toks, token{kind: tokEOF, pos: len(runes)})
	return toks, nil
}
