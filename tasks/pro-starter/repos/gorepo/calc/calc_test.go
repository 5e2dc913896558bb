package calc

import (
	"errors"
	"math"
	"testing"
)

func TestEval(t *testing.T) {
	vars := map[string]float64{"a": 1, "b": 4, "rate": 0.5}
	tests := []struct {
		src  string
		want float64
	}{
		{"1+2", 3},
		{"2 * 3 + 4", 10},
		{"2 + 3 * 4", 14},
		{"(2 + 3) * 4", 20},
		{"-3 + 5", 2},
		{"2^3^2", 512},
		{"-2^2", -4},
		{"abs(-3)", 3},
		{"max(1,2)", 2},
		{"min(4, 2, 8)", 2},
		{"max(a, b) * rate", 2},
		{"sqrt(b) + a", 3},
		{"round(2.5)", 3},
		{"1.5e2", 150},
		{"10 % 4", 2},
		{"2 * pi", 2 * math.Pi},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			got, err := Eval(tc.src, vars)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tc.src, err)
			}
			if math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Eval(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		src     string
		wantErr string
	}{
		{"1 +", "calc: syntax error at offset 3: unexpected end of input \"\""},
		{"(1 + 2", "calc: syntax error at offset 6: expected ')', found end of input \"\""},
		{"2 $ 3", "calc: syntax error at offset 2: unexpected character '$'"},
		{"nope(1)", `calc: unknown function "nope" at offset 0`},
		{"x + 1", `calc: unknown variable "x" at offset 0`},
		{"abs(1, 2)", "calc: abs takes 1 argument(s), got 2"},
		{"max()", "calc: max needs at least one argument"},
		{"1 2", "calc: syntax error at offset 2: unexpected number \"2\""},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := Eval(tc.src, nil)
			if err == nil {
				t.Fatalf("Eval(%q) succeeded, want error %q", tc.src, tc.wantErr)
			}
			if err.Error() != tc.wantErr {
				t.Fatalf("Eval(%q) error = %q, want %q", tc.src, err.Error(), tc.wantErr)
			}
		})
	}
}

func TestDivisionByZero(t *testing.T) {
	for _, src := range []string{"1/0", "5 % 0"} {
		if _, err := Eval(src, nil); !errors.Is(err, ErrDivisionByZero) {
			t.Errorf("Eval(%q) error = %v, want ErrDivisionByZero", src, err)
		}
	}
}

func TestCustomFunc(t *testing.T) {
	e, err := Parse("double(a) + 1")
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Vars:  map[string]float64{"a": 3},
		Funcs: map[string]Func{"double": func(args ...float64) (float64, error) { return args[0] * 2, nil }},
	}
	got, err := e.EvalEnv(env)
	if err != nil || got != 7 {
		t.Fatalf("EvalEnv = %v, %v; want 7", got, err)
	}
	if e.String() != "double(a) + 1" {
		t.Fatalf("String() = %q", e.String())
	}
}
