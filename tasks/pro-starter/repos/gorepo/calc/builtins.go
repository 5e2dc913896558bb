package calc

import (
	"fmt"
	"math"
)

// Func is a function callable from an expression.
type Func func(args ...float64) (float64, error)

var constants = map[string]float64{
	"pi": math.Pi,
	"e":  math.E,
}

func fixed(name string, n int, f func(args []float64) float64) Func {
	return func(args ...float64) (float64, error) {
		if len(args) != n {
			return 0, fmt.Errorf("calc: %s takes %d argument(s), got %d", name, n, len(args))
		}
		return f(args), nil
	}
}

func variadic(name string, f func(args []float64) float64) Func {
	return func(args ...float64) (float64, error) {
		if len(args) == 0 {
			return 0, fmt.Errorf("calc: %s needs at least one argument", name)
		}
		return f(args), nil
	}
}

var builtins = map[string]Func{
	"abs":   fixed("abs", 1, func(a []float64) float64 { return math.Abs(a[0]) }),
	"sqrt":  fixed("sqrt", 1, func(a []float64) float64 { return math.Sqrt(a[0]) }),
	"floor": fixed("floor", 1, func(a []float64) float64 { return math.Floor(a[0]) }),
	"ceil":  fixed("ceil", 1, func(a []float64) float64 { return math.Ceil(a[0]) }),
	"round": fixed("round", 1, func(a []float64) float64 { return math.Round(a[0]) }),
	"min": variadic("min", func(a []float64) float64 {
		m := a[0]
		for _, v := range a[1:] {
			if v < m {
				m = v
			}
		}
		return m
	}),
	"max": variadic("max", func(a []float64) float64 {
		m := a[0]
		for _, v := range a[1:] {
			if v > m {
				m = v
			}
		}
		return m
	}),
}
