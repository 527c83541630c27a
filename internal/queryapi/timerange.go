package queryapi

import (
	"encoding/json"
	"strings"
	"time"
)

// maxTimeMs is 9999-12-31T23:59:59.999Z: later times have no RFC 3339 rendering, and the
// response must be able to print every bucket start.
const maxTimeMs = 253402300799999

// parseTimeRange returns [start, end] in Unix ms, both inclusive, and the length the user asked
// for (for the messages of the size checks).
func parseTimeRange(raw json.RawMessage, present bool, nowMs int64, lim Limits) (start, end int64, err error) {
	if !present {
		// Decision: no timeRange means the last hour, like a dashboard's default view.
		return nowMs - lim.DefaultRange.Milliseconds(), nowMs, nil
	}
	m, err := object(raw, "timeRange")
	if err != nil {
		return 0, 0, err
	}
	if err := checkKnown(m, "timeRange", []string{"relative", "start", "end"}); err != nil {
		return 0, 0, err
	}
	rel, hasRel := m["relative"]
	rawStart, hasStart := m["start"]
	rawEnd, hasEnd := m["end"]
	switch {
	case hasRel && (hasStart || hasEnd):
		return 0, 0, invalid("timeRange", "give either relative or start/end, not both")
	case hasRel:
		return relativeRange(rel, nowMs)
	case !hasStart && hasEnd:
		return 0, 0, invalid("timeRange.start", "is required with end")
	case !hasStart:
		return 0, 0, invalid("timeRange", `needs relative (e.g. {"relative": "24h"}) or start and end`)
	}
	if start, err = timestamp(rawStart, "timeRange.start"); err != nil {
		return 0, 0, err
	}
	end = nowMs // Decision: start without end means "from start until now".
	if hasEnd {
		if end, err = timestamp(rawEnd, "timeRange.end"); err != nil {
			return 0, 0, err
		}
	}
	if end < start {
		return 0, 0, invalid("timeRange", "end %s is before start %s", fmtMs(end), fmtMs(start))
	}
	return start, end, nil
}

func relativeRange(raw json.RawMessage, nowMs int64) (int64, int64, error) {
	s, err := str(raw, "timeRange.relative")
	if err != nil {
		return 0, 0, err
	}
	d, err := ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, 0, invalid("timeRange.relative", "%v; use Go durations plus d and w, e.g. \"15m\", \"24h\", \"7d\"", err)
	}
	if d < time.Millisecond {
		return 0, 0, invalid("timeRange.relative", "must be at least 1ms, got %q", s)
	}
	start := nowMs - d.Milliseconds()
	if start < 0 {
		return 0, 0, invalid("timeRange.relative", "%q reaches before 1970-01-01", s)
	}
	return start, nowMs, nil
}

// timestamp reads an RFC 3339 string or an integral Unix-ms number. Sub-millisecond digits of a
// string are truncated (the store keeps milliseconds).
func timestamp(raw json.RawMessage, field string) (int64, error) {
	var ms int64
	if kind(raw) == '"' {
		s, err := str(raw, field)
		if err != nil {
			return 0, err
		}
		t, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			return 0, invalid(field, "%q is not an RFC 3339 time (e.g. \"2026-11-27T10:00:00Z\") or Unix milliseconds", s)
		}
		ms = t.UnixMilli()
	} else {
		n, err := integer(raw, field)
		if err != nil {
			return 0, invalid(field, "must be an RFC 3339 string or an integer of Unix milliseconds, got %s", describe(raw))
		}
		ms = n
	}
	if ms < 0 || ms > maxTimeMs {
		return 0, invalid(field, "must lie between 1970-01-01 and 9999-12-31, got %d ms", ms)
	}
	return ms, nil
}

// timeLayout is RFC 3339 in UTC with exactly three fraction digits, as api.md requires.
const timeLayout = "2006-01-02T15:04:05.000Z"

func fmtMs(ms int64) string { return time.UnixMilli(ms).UTC().Format(timeLayout) }
