package calc

import (
	"errors"
	"fmt"
	"math"
)

// ErrDivisionByZero is returned when an expression divides by zero.
var ErrDivisionByZero = errors.New("calc: division by zero")

type node interface {
	eval(env *Env) (float64, error)
}

type numberNode struct{ value float64 }

type varNode struct {
	name string
	pos  int
}

type unaryNode struct {
	op      string
	operand node
}

type binaryNode struct {
	op          string
	left, right node
}

type callNode struct {
	name string
	args []node
	pos  int
}

func (n numberNode) eval(*Env) (float64, error) { return n.value, nil }

func (n varNode) eval(env *Env) (float64, error) {
	if v, ok := env.Vars[n.name]; ok {
		return v, nil
	}
	if v, ok := constants[n.name]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("calc: unknown variable %q at offset %d", n.name, n.pos)
}

func (n unaryNode) eval(env *Env) (float64, error) {
	v, err := n.operand.eval(env)
	if err != nil {
		return 0, err
	}
	if n.op == "-" {
		return -v, nil
	}
	return v, nil
}

func (n binaryNode) eval(env *Env) (float64, error) {
	l, err := n.left.eval(env)
	if err != nil {
		return 0, err
	}
	r, err := n.right.eval(env)
	if err != nil {
		return 0, err
	}
	switch n.op {
	case "+":
		return l + r, nil
	case "-":
		return l - r, nil
	case "*":
		return l * r, nil
	case "/":
		if r == 0 {
			return 0, ErrDivisionByZero
		}
		return l / r, nil
	case "%":
		if r == 0 {
			return 0, ErrDivisionByZero
		}
		return math.Mod(l, r), nil
	case "^":
		return math.Pow(l, r), nil
	}
	return 0, fmt.Errorf("calc: unknown operator %q", n.op)
}

func (n callNode) eval(env *Env) (float64, error) {
	fn, ok := env.Funcs[n.name]
	if !ok {
		fn, ok = builtins[n.name]
	}
	if !ok {
		return 0, fmt.Errorf("calc: unknown function %q at offset %d", n.name, n.pos)
	}
	args := make([]float64, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return 0, err
		}
		args[i] = v
	}
	return fn(args...)
}
