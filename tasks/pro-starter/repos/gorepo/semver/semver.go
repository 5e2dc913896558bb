// Package semver parses and compares semantic versions (https://semver.org).
//
// A leading "v" is accepted and dropped. Missing minor or patch numbers are zero, so
// "1.2" is 1.2.0.
package semver

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch int
	Pre                 []string // pre-release identifiers, e.g. ["rc", "1"]
	Build               string   // build metadata, ignored when comparing
}

// ParseError describes input that is not a version.
type ParseError struct {
	Input string
	Msg   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("semver: invalid version %q: %s", e.Input, e.Msg)
}

// Parse parses s ("1.2.3", "v1.2.3-rc.1+build.5", "1.2").
func Parse(s string) (Version, error) {
	var v Version
	in := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if s == "" {
		return v, &ParseError{in, "empty"}
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		v.Build = s[i+1:]
		s = s[:i]
		if v.Build == "" {
			return v, &ParseError{in, "empty build metadata"}
		}
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre := s[i+1:]
		s = s[:i]
		if pre == "" {
			return v, &ParseError{in, "empty pre-release"}
		}
		v.Pre = strings.Split(pre, ".")
		for _, id := range v.Pre {
			if id == "" {
				return v, &ParseError{in, "empty pre-release identifier"}
			}
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return v, &ParseError{in, "too many numbers"}
	}
	nums := [3]int{}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" {
			return v, &ParseError{in, fmt.Sprintf("bad number %q", p)}
		}
		if len(p) > 1 && p[0] == '0' {
			return v, &ParseError{in, fmt.Sprintf("leading zero in %q", p)}
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch = nums[0], nums[1], nums[2]
	return v, nil
}

// MustParse is Parse that panics on error, for constants in code and tests.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String formats v canonically, without a leading "v".
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Compare returns -1, 0 or +1 as a is less than, equal to or greater than b.
// Build metadata is ignored; a pre-release sorts before its release.
func Compare(a, b Version) int {
	if c := cmpInt(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmpInt(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmpInt(a.Patch, b.Patch); c != 0 {
		return c
	}
	switch {
	case len(a.Pre) == 0 && len(b.Pre) == 0:
		return 0
	case len(a.Pre) == 0:
		return 1
	case len(b.Pre) == 0:
		return -1
	}
	return strings.Compare(strings.Join(a.Pre, "."), strings.Join(b.Pre, "."))
}

// Less reports whether v sorts before o.
func (v Version) Less(o Version) bool { return Compare(v, o) < 0 }
