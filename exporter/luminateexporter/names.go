package luminateexporter

import (
	"strings"
	"unicode/utf8"

	"github.com/luminate-metrics/luminate/internal/model"
)

// sanitize returns s in the spelling the API accepts, ^[a-zA-Z_][a-zA-Z0-9_.]*$ (dots stay, so
// OTel names such as http.server.request.duration round-trip unchanged). Any other character
// becomes '_' (one per character, not per byte: "größe" -> "gr__e"), and a name that starts
// with a digit or '.' gets a leading '_' ("2xx" -> "_2xx") so the digit is kept. A name that is
// already valid is returned as is, without allocating.
func sanitize(s string) string {
	if model.ValidName(s) || s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 1)
	if c := s[0]; (c >= '0' && c <= '9') || c == '.' {
		b.WriteByte('_')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if nameByte(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte('_')
			}
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:]) // an invalid byte counts as one character
		b.WriteByte('_')
		i += n
	}
	return b.String()
}

func nameByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
}

// keyFilter applies dimensions.include / exclude. The lists are short (a handful of entries),
// so a linear scan is cheaper than hashing the key for a map lookup on every attribute of every
// point: most comparisons stop at the length check.
type keyFilter struct {
	includeExact, includePrefix []string
	excludeExact, excludePrefix []string
}

func newKeyFilter(d DimensionsConfig) keyFilter {
	var f keyFilter
	f.includeExact, f.includePrefix = splitPatterns(d.Include)
	f.excludeExact, f.excludePrefix = splitPatterns(d.Exclude)
	return f
}

func splitPatterns(ps []string) (exact, prefix []string) {
	for _, p := range ps {
		if strings.HasSuffix(p, "*") {
			prefix = append(prefix, strings.TrimSuffix(p, "*"))
		} else {
			exact = append(exact, p)
		}
	}
	return exact, prefix
}

// keep reports whether the attribute named key (as sent) becomes a dimension.
func (f *keyFilter) keep(key string) bool {
	if (len(f.includeExact) > 0 || len(f.includePrefix) > 0) && !match(key, f.includeExact, f.includePrefix) {
		return false
	}
	return !match(key, f.excludeExact, f.excludePrefix)
}

func match(key string, exact, prefix []string) bool {
	for _, e := range exact {
		if key == e {
			return true
		}
	}
	for _, p := range prefix {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}
