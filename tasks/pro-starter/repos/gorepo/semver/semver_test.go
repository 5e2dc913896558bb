package semver

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"1.2.3", "1.2.3"},
		{"v1.2.3", "1.2.3"},
		{"1.2", "1.2.0"},
		{"3", "3.0.0"},
		{"1.0.0-rc.1", "1.0.0-rc.1"},
		{"1.0.0+build.7", "1.0.0+build.7"},
		{"2.1.0-beta+exp.sha.5114f85", "2.1.0-beta+exp.sha.5114f85"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if v.String() != tc.want {
				t.Fatalf("Parse(%q).String() = %q, want %q", tc.in, v.String(), tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "v", "1.2.3.4", "1.x", "01.2.3", "1.2.3-", "1.2.3+", "1.2.3-a..b", "-1.0.0"} {
		t.Run(in, func(t *testing.T) {
			_, err := Parse(in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", in, err)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0},
		{"1.2.3", "1.2.4", -1},
		{"1.10.0", "1.9.0", 1},
		{"2.0.0", "1.99.99", 1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0", "1.0.0-rc.1", 1},
		{"1.0.0-alpha", "1.0.0-beta", -1},
		{"1.0.0+a", "1.0.0+b", 0},
	}
	for _, tc := range tests {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			if got := Compare(MustParse(tc.a), MustParse(tc.b)); got != tc.want {
				t.Fatalf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestConstraint(t *testing.T) {
	tests := []struct {
		constraint string
		version    string
		want       bool
	}{
		{">=1.2, <2", "1.5.0", true},
		{">=1.2, <2", "2.0.0", false},
		{">= 1.2 <2", "1.2.0", true},
		{"1.0.0 || >=3", "1.0.0", true},
		{"1.0.0 || >=3", "2.0.0", false},
		{"1.0.0 || >=3", "3.1.0", true},
		{"!=1.5.0", "1.5.0", false},
		{"<=1.0.0", "1.0.0-rc.1", true},
	}
	for _, tc := range tests {
		t.Run(tc.constraint+" has "+tc.version, func(t *testing.T) {
			c, err := ParseConstraint(tc.constraint)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Check(MustParse(tc.version)); got != tc.want {
				t.Fatalf("%q.Check(%s) = %v, want %v", tc.constraint, tc.version, got, tc.want)
			}
		})
	}
}

func TestConstraintErrors(t *testing.T) {
	for _, in := range []string{"", ">=", "1.0 ||", ">=banana"} {
		if _, err := ParseConstraint(in); err == nil {
			t.Errorf("ParseConstraint(%q) succeeded", in)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustParse did not panic")
		}
	}()
	MustParse("not a version")
}
