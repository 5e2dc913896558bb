// Package listutil splits and joins comma-separated lists.
//
// A backslash escapes the next character, so `a\,b` is one element "a,b" and `a\\` is
// the element `a\`. Empty input is an empty list.
package listutil

import (
	"errors"
	"strings"
)

// ErrTrailingEscape is returned by SplitListStrict when the input ends with a lone backslash.
var ErrTrailingEscape = errors.New("listutil: trailing escape character")

// SplitList splits s at unescaped commas. A trailing lone backslash is kept literally.
func SplitList(s string) []string {
	out, _ := split(s)
	return out
}

// SplitListStrict is SplitList but refuses a trailing lone backslash.
func SplitListStrict(s string) ([]string, error) {
	return split(s)
}

func split(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	var (
		out     []string
		cur     strings.Builder
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	var err error
	if escaped {
		cur.WriteRune('\\')
		err = ErrTrailingEscape
	}
	out = append(out, cur.String())
	return out, err
}

// JoinList joins items with commas, escaping commas and backslashes inside items so that
// SplitList(JoinList(items)) gives items back.
func JoinList(items []string) string {
	parts := make([]string, len(items))
	for i, item := range items {
		item = strings.ReplaceAll(item, `\`, `\\`)
		parts[i] = strings.ReplaceAll(item, ",", `\,`)
	}
	return strings.Join(parts, ",")
}

// Contains reports whether the list s contains item (after splitting).
func Contains(s, item string) bool {
	for _, v := range SplitList(s) {
		if v == item {
			return true
		}
	}
	return false
}
