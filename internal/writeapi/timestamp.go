package writeapi

import (
	"math"
	"strconv"
	"time"
)

// secondsBelow is the api.md rule for older clients that send `date +%s`: a number below it is
// Unix seconds, anything else Unix milliseconds. 1e11 ms is 1973-03-03 and 1e11 s is the year
// 5138, so no real timestamp is ambiguous.
const secondsBelow = 100000000000

// maxIntDigits keeps the integer part of a numeric timestamp inside int64 after the *1000 of
// the seconds form; longer numbers take the float path and fail the window check.
const maxIntDigits = 15

// parseNumericTimestamp reads the JSON text of a number as Unix ms. It works on the text, not
// on a float64, so 1735603200.123 s is exactly 1735603200123 ms. Digits finer than a
// millisecond are truncated. ok is false when s is not a JSON number.
func parseNumericTimestamp(s string) (ms int64, ok bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := s[intStart:i]
	if len(intDigits) == 0 || (len(intDigits) > 1 && intDigits[0] == '0') {
		return 0, false
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fracStart:i]
		if frac == "" {
			return 0, false
		}
	}
	if i < len(s) || len(intDigits) > maxIntDigits {
		// An exponent (1.7356032e12) or a huge number: fall back to float64, which is exact
		// for every integer ms of a realistic time.
		return parseFloatTimestamp(s)
	}
	var n int64
	for j := 0; j < len(intDigits); j++ {
		n = n*10 + int64(intDigits[j]-'0')
	}
	if n < secondsBelow {
		// Seconds: keep three fraction digits, padding "5" to "500".
		n *= 1000
		for j, scale := 0, int64(100); j < 3; j, scale = j+1, scale/10 {
			if j < len(frac) {
				n += int64(frac[j]-'0') * scale
			}
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseFloatTimestamp handles numbers with an exponent. It keeps the grammar strict
// (strconv.ParseFloat accepts forms JSON does not, such as "Inf" or "0x1p3", but fastjson has
// already split out a number token and parseNumericTimestamp has checked its mantissa).
func parseFloatTimestamp(s string) (int64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if math.Abs(f) < secondsBelow {
		f *= 1000
	}
	f = math.Trunc(f)
	// Outside ±2^62 ms no time is in any window; clamp so the conversion is defined.
	const limit = 1 << 62
	if f > limit {
		f = limit
	} else if f < -limit {
		f = -limit
	}
	return int64(f), true
}

// parseTimeString reads an RFC 3339 timestamp (with or without a fraction) as Unix ms.
func parseTimeString(s string) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// formatMs renders Unix ms the way api.md renders every time: RFC 3339, UTC, milliseconds.
func formatMs(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
