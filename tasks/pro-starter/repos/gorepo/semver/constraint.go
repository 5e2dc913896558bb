package semver

import (
	"fmt"
	"strings"
)

type op int

const (
	opEQ op = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

var opNames = []struct {
	text string
	op   op
}{
	// Two-character operators first, so ">=" is not read as ">" then "=".
	{">=", opGE},
	{"<=", opLE},
	{"!=", opNE},
	{"==", opEQ},
	{">", opGT},
	{"<", opLT},
	{"=", opEQ},
}

type term struct {
	op op
	v  Version
}

func (t term) match(v Version) bool {
	c := Compare(v, t.v)
	switch t.op {
	case opEQ:
		return c == 0
	case opNE:
		return c != 0
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	case opGE:
		return c >= 0
	}
	return false
}

// Constraint is a set of alternatives ("||"), each a list of terms that must all hold
// (separated by "," or spaces): ">=1.2, <2 || 3.0.0".
type Constraint struct {
	src  string
	alts [][]term
}

// ParseConstraint parses a constraint expression.
func ParseConstraint(s string) (*Constraint, error) {
	c := &Constraint{src: s}
	for _, alt := range strings.Split(s, "||") {
		fields := strings.FieldsFunc(alt, func(r rune) bool { return r == ',' || r == ' ' })
		if len(fields) == 0 {
			return nil, fmt.Errorf("semver: empty alternative in constraint %q", s)
		}
		var terms []term
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			o := opEQ
			for _, on := range opNames {
				if strings.HasPrefix(f, on.text) {
					o = on.op
					f = strings.TrimPrefix(f, on.text)
					break
				}
			}
			if f == "" && i+1 < len(fields) {
				// An operator separated from its version by a space: ">= 1.2".
				i++
				f = fields[i]
			}
			v, err := Parse(f)
			if err != nil {
				return nil, fmt.Errorf("semver: bad constraint %q: %w", s, err)
			}
			terms = append(terms, term{o, v})
		}
		c.alts = append(c.alts, terms)
	}
	return c, nil
}

// Check reports whether v satisfies the constraint.
func (c *Constraint) Check(v Version) bool {
	for _, alt := range c.alts {
		ok := true
		for _, t := range alt {
			if !t.match(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// String returns the constraint as it was written.
func (c *Constraint) String() string { return c.src }
