// Package calc evaluates small arithmetic expressions such as "max(a, 2) * 3".
//
// Grammar, lowest precedence first:
//
//	expr   = term { ("+" | "-") term }
//	term   = unary { ("*" | "/" | "%") unary }
//	unary  = ("-" | "+") unary | power
//	power  = atom [ "^" unary ]
//	atom   = number | ident | ident "(" [ expr { "," expr } ] ")" | "(" expr ")"
//
// "+", "-", "*", "/" and "%" are left-associative; "^" is right-associative.
package calc

import "fmt"

// Env holds the variables and extra functions an expression may use.
type Env struct {
	Vars  map[string]float64
	Funcs map[string]Func
}

// Expr is a parsed expression that can be evaluated many times.
type Expr struct {
	src  string
	root node
}

// String returns the source text of the expression.
func (e *Expr) String() string { return e.src }

// Parse parses src into an Expr.
func Parse(src string) (*Expr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, &SyntaxError{t.pos, fmt.Sprintf("unexpected %s %q", t.kind, t.text)}
	}
	return &Expr{src: src, root: root}, nil
}

// Eval evaluates the expression with the given variables (nil is fine).
func (e *Expr) Eval(vars map[string]float64) (float64, error) {
	return e.EvalEnv(&Env{Vars: vars})
}

// EvalEnv evaluates the expression in env.
func (e *Expr) EvalEnv(env *Env) (float64, error) {
	if env == nil {
		env = &Env{}
	}
	return e.root.eval(env)
}

// Eval parses and evaluates src in one step.
func Eval(src string, vars map[string]float64) (float64, error) {
	e, err := Parse(src)
	if err != nil {
		return 0, err
	}
	return e.Eval(vars)
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) isOp(ops ...string) bool {
	t := p.peek()
	if t.kind != tokOp {
		return false
	}
	for _, op := range ops {
		if t.text == op {
			return true
		}
	}
	return false
}

func (p *parser) expect(kind tokenKind) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, &SyntaxError{t.pos, fmt.Sprintf("expected %s, found %s %q", kind, t.kind, t.text)}
	}
	return t, nil
}

func (p *parser) expr() (node, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	if p.isOp("+", "-") {
		op := p.next().text
		right, err := p.expr()
		if err != nil {
			return nil, err
		}
		return binaryNode{op, left, right}, nil
	}
	return left, nil
}

func (p *parser) term() (node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	if p.isOp("*", "/", "%") {
		op := p.next().text
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		return binaryNode{op, left, right}, nil
	}
	return left, nil
}

func (p *parser) unary() (node, error) {
	if p.isOp("-", "+") {
		op := p.next().text
		operand, err := p.unary()
		if err != nil {
			return nil, err
		}
		return unaryNode{op, operand}, nil
	}
	return p.power()
}

func (p *parser) power() (node, error) {
	base, err := p.atom()
	if err != nil {
		return nil, err
	}
	if p.isOp("^") {
		p.next()
		exp, err := p.unary()
		if err != nil {
			return nil, err
		}
		return binaryNode{"^", base, exp}, nil
	}
	return base, nil
}

func (p *parser) atom() (node, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		return numberNode{t.num}, nil
	case tokIdent:
		if p.peek().kind != tokLParen {
			return varNode{t.text, t.pos}, nil
		}
		p.next()
		var args []node
		if p.peek().kind != tokRParen {
			for {
				arg, err := p.expr()
				if err != nil {
					return nil, err
				}
				args = append(args, arg)
				if p.peek().kind != tokComma {
					break
				}
				p.next()
			}
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return callNode{t.text, args, t.pos}, nil
	case tokLParen:
		inner, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return inner, nil
	}
	return nil, &SyntaxError{t.pos, fmt.Sprintf("unexpected %s %q", t.kind, t.text)}
}
