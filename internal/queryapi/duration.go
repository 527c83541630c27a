package queryapi

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// maxDurationLen bounds the work spent on one duration string; real ones are under 20 bytes.
const maxDurationLen = 64

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// ParseDuration parses a Go duration extended with the units d (24h) and w (7d), e.g. "15m",
// "7d", "2w", "1d12h", "1.5d". Unlike time.ParseDuration it takes no sign and no bare "0": the
// API's durations are lengths, and a unit-less number is more likely a mistake (seconds? ms?).
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if len(s) > maxDurationLen {
		return 0, fmt.Errorf("duration is %d bytes, at most %d are accepted", len(s), maxDurationLen)
	}
	var total time.Duration
	for rest := s; rest != ""; {
		num := leadingNumber(rest)
		if num == "" {
			return 0, fmt.Errorf("%q is not a duration: expected a number at %q", s, rest)
		}
		rest = rest[len(num):]
		unit := leadingUnit(rest)
		if unit == "" {
			return 0, fmt.Errorf("%q is not a duration: missing unit after %s (ms, s, m, h, d, w)", s, num)
		}
		rest = rest[len(unit):]
		d, err := segment(num, unit)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %v", s, err)
		}
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("%q is too long a duration (over 292 years)", s)
		}
		total += d
	}
	return total, nil
}

// segment converts one number+unit. d and w are computed as hours times 24 or 168 through
// time.ParseDuration, which keeps fractions exact ("1.5d" is exactly 36h).
func segment(num, unit string) (time.Duration, error) {
	mult := time.Duration(1)
	switch unit {
	case "d":
		unit, mult = "h", 24
	case "w":
		unit, mult = "h", 24*7
	case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
	default:
		return 0, fmt.Errorf("unknown unit %q (use ms, s, m, h, d or w)", unit)
	}
	d, err := time.ParseDuration(num + unit)
	if err != nil {
		return 0, errors.New("value out of range")
	}
	if d > math.MaxInt64/mult {
		return 0, errors.New("value out of range")
	}
	return d * mult, nil
}

func leadingNumber(s string) string {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	n := s[:i]
	// "." alone or two dots is not a number; time.ParseDuration would say so less clearly.
	if strings.Count(n, ".") > 1 || strings.Trim(n, ".") == "" {
		return ""
	}
	return n
}

func leadingUnit(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i]
}

// FormatDuration renders d the way users write it in queries: "31d", "1d12h", "90m", "1.5s".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	days, rem := d/day, d%day
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		if rem == 0 {
			return b.String()
		}
	}
	s := rem.String() // e.g. "12h0m0s", "30m0s", "1.5s"
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	b.WriteString(s)
	return b.String()
}

// formatMs is FormatDuration for a length in milliseconds, which may exceed time.Duration.
func formatMs(ms int64) string {
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return fmt.Sprintf("%dd", ms/day.Milliseconds())
	}
	return FormatDuration(time.Duration(ms) * time.Millisecond)
}
