package queryapi

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"15m", 15 * time.Minute},
		{"24h", 24 * time.Hour},
		{"7d", 7 * day},
		{"2w", 14 * day},
		{"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"1w2d3h4m5s6ms", week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second + 6*time.Millisecond},
		{"500ms", 500 * time.Millisecond},
		{"1.5s", 1500 * time.Millisecond},
		{".5h", 30 * time.Minute},
		{"10us", 10 * time.Microsecond},
		{"10µs", 10 * time.Microsecond},
		{"3ns", 3},
		{"0s", 0},
		{"15250w", 15250 * week}, // ~292 years, just below the int64 limit
	}
	for _, c := range ok {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "empty duration"},
		{"15", "missing unit after 15"},
		{"15x", `unknown unit "x"`},
		{"-5m", "expected a number"},
		{"+5m", "expected a number"},
		{"m", "expected a number"},
		{"1..5h", "expected a number"},
		{".h", "expected a number"},
		{"1h 30m", `unknown unit "h "`},
		{"15251w", "out of range"},
		{"9223372036854775807ns1ns", "too long a duration"},
		{"99999999999999999999h", "out of range"},
		{strings.Repeat("1", 65), "at most 64"},
	}
	for _, c := range bad {
		if _, err := ParseDuration(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseDuration(%q) error = %v; want it to contain %q", c.in, err, c.msg)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{31 * day, "31d"},
		{90 * day, "90d"},
		{36 * time.Hour, "1d12h"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Minute, "45m"},
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1.5s"},
		{day + time.Second, "1d1s"},
		{0, "0s"},
		{-time.Hour, "-1h"},
	} {
		if got := FormatDuration(c.in); got != c.want {
			t.Errorf("FormatDuration(%v) = %q; want %q", c.in, got, c.want)
		}
	}
	if got := formatMs(maxTimeMs); got != "2932896d" {
		t.Errorf("formatMs(max) = %q", got)
	}
}
