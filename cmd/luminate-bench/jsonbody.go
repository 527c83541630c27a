package main

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/luminate-metrics/luminate/internal/model"
)

// The write body is built by hand: encoding/json's reflection would cost the client more CPU
// than the server spends parsing, and on a 2-core box the client shares the cores with the
// server under test.

// appendWriteBody appends the /api/v1/write body of job j:
//
//	{"metrics":[{"name":"api_latency","timestamp":T,"value":V,"dimensions":{...}},
//	            {"name":"requests_total",...}, ...]}
func (d *dataset) appendWriteBody(dst []byte, j job) []byte {
	t := d.shape.T(j.round)
	lat, cnt := d.lat[j.round], d.cnt[j.round]
	dst = append(dst, `{"metrics":[`...)
	for i := j.from; i < j.to; i++ {
		if i > j.from {
			dst = append(dst, ',')
		}
		dst = appendMetric(dst, `{"name":"api_latency","timestamp":`, t, lat[i], d.dims[i])
		dst = append(dst, ',')
		dst = appendMetric(dst, `{"name":"requests_total","timestamp":`, t, cnt[i], d.dims[i])
	}
	return append(dst, "]}"...)
}

// appendMetric appends one item; head is `{"name":"...","timestamp":` (names are constants,
// quoted once) and dims a pre-encoded `"dimensions":{...}`.
func appendMetric(dst []byte, head string, t int64, v float64, dims []byte) []byte {
	dst = append(dst, head...)
	dst = strconv.AppendInt(dst, t, 10)
	dst = append(dst, `,"value":`...)
	dst = appendFloat(dst, v)
	dst = append(dst, ',')
	dst = append(dst, dims...)
	return append(dst, '}')
}

// appendFloat writes the shortest decimal that parses back to exactly v ('g', -1). JSON has no
// NaN or Inf and the write API refuses them anyway; the workload never produces them, so a
// non-finite value here is a bug of the generator and is written as null, which the server
// rejects loudly rather than the client writing invalid JSON.
func appendFloat(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// appendDims appends `"dimensions":{"k":"v",...}`.
func appendDims(dst []byte, ls model.Labels) []byte {
	dst = append(dst, `"dimensions":{`...)
	for i, l := range ls {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, l.Name)
		dst = append(dst, ':')
		dst = appendString(dst, l.Value)
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string: quote, backslash and control characters escaped,
// invalid UTF-8 replaced by U+FFFD (the API requires valid UTF-8), everything else verbatim.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c == '\t':
			dst = append(dst, `\t`...)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}
