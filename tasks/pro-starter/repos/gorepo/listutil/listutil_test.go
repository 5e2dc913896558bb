package listutil

import (
	"reflect"
	"testing"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{}},
		{"single", "alpha", []string{"alpha"}},
		{"a,b", "a,b", []string{"a", "b"}},
		{"a,b,c", "a,b,c", []string{"a", "b", "c"}},
		{`a\,b`, `a\,b`, []string{"a,b"}},
		{`escaped backslash`, `a\\,b`, []string{`a\`, "b"}},
		{"empty elements", "a,,b", []string{"a", "", "b"}},
		{"trailing comma", "a,", []string{"a", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitList(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("SplitList(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitListStrict(t *testing.T) {
	if _, err := SplitListStrict(`a,b\`); err != ErrTrailingEscape {
		t.Fatalf("err = %v, want ErrTrailingEscape", err)
	}
	got, err := SplitListStrict(`a,b`)
	if err != nil || !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("SplitListStrict(a,b) = %q, %v", got, err)
	}
	if got := SplitList(`a\`); !reflect.DeepEqual(got, []string{`a\`}) {
		t.Fatalf("SplitList keeps a trailing backslash, got %q", got)
	}
}

func TestJoinList(t *testing.T) {
	tests := []struct {
		name  string
		items []string
		want  string
	}{
		{"nil", nil, ""},
		{"plain", []string{"a", "b"}, "a,b"},
		{"comma inside", []string{"a,b", "c"}, `a\,b,c`},
		{"backslash inside", []string{`a\b`}, `a\\b`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := JoinList(tc.items); got != tc.want {
				t.Fatalf("JoinList(%q) = %q, want %q", tc.items, got, tc.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, items := range [][]string{
		{"x"},
		{"a,b", `c\`, "d"},
		{"", "e"},
	} {
		if got := SplitList(JoinList(items)); !reflect.DeepEqual(got, items) {
			t.Errorf("round trip of %q gave %q", items, got)
		}
	}
}

func TestContains(t *testing.T) {
	if !Contains("a,b,c", "b") {
		t.Error("b should be in a,b,c")
	}
	if Contains(`a\,b`, "a") {
		t.Error(`a should not be in a\,b`)
	}
}
