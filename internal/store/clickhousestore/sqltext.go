package clickhousestore

import (
	"strconv"
	"strings"
)

// quote writes s as a ClickHouse string literal. Every user-supplied string (tenant, metric,
// keys, values, regexes) reaches SQL through it: backslash and quote are escaped, everything
// else is taken byte for byte by the server.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteList writes a parenthesised list of string literals for IN.
func quoteList(vs []string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(v))
	}
	b.WriteByte(')')
	return b.String()
}

// uintList writes a parenthesised list of numbers for IN. A Go slice bound as a parameter would
// become an Array literal, which 18.16 rejects in IN ("Type mismatch in IN").
func uintList(vs []uint64) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(v, 10))
	}
	b.WriteByte(')')
	return b.String()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// float writes a float literal that parses back to the same value.
func float(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
