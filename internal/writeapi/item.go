package writeapi

import (
	"fmt"
	"math"

	"github.com/valyala/fastjson"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

// item validates one element of "metrics". On failure it returns the item's first problem and
// leaves d.labels as it found it.
func (d *Decoder) item(idx int, v *fastjson.Value) (Item, *ItemError) {
	obj, err := v.Object()
	if err != nil {
		return Item{}, itemErr(idx, "", apierror.InvalidRequest, "metric must be a JSON object, got %s", v.Type())
	}
	// One pass over the item's fields instead of one Get per field; unknown fields are ignored.
	// With a repeated field the first one counts, as with fastjson's Get.
	var nv, vv, tv, dv *fastjson.Value
	obj.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "name":
			if nv == nil {
				nv = fv
			}
		case "value":
			if vv == nil {
				vv = fv
			}
		case "timestamp":
			if tv == nil {
				tv = fv
			}
		case "dimensions":
			if dv == nil {
				dv = fv
			}
		}
	})

	if nv == nil {
		return Item{}, itemErr(idx, "", apierror.InvalidMetricName, `"name" is required`)
	}
	if nv.Type() != fastjson.TypeString {
		return Item{}, itemErr(idx, "", apierror.InvalidMetricName, `"name" must be a string, got %s`, nv.Type())
	}
	nb, _ := nv.StringBytes()
	name := d.lastName
	if len(nb) == 0 || string(nb) != name { // lastName starts out "", which must not pass as valid
		var ok bool
		var set int
		if name, set, ok = d.names.get(nb); !ok {
			if err := model.CheckMetricName(b2s(nb)); err != nil {
				return Item{}, itemErr(idx, echoName(nb), apierror.InvalidMetricName, "%v", err)
			}
			name = d.names.add(nb, set)
		}
		d.lastName = name
	}

	val, msg := parseValue(vv)
	if msg != "" {
		return Item{}, itemErr(idx, name, apierror.InvalidRequest, "%s", msg)
	}

	t, msg := d.timestamp(tv)
	if msg != "" {
		return Item{}, itemErr(idx, name, apierror.InvalidRequest, "%s", msg)
	}

	start := len(d.labels)
	if msg := d.dimensions(dv); msg != "" {
		d.labels = d.labels[:start]
		return Item{}, itemErr(idx, name, apierror.InvalidRequest, "%s", msg)
	}
	// The full slice expression caps the item's labels, so nothing appended for a later item can
	// ever show through them.
	ls := model.Labels(d.labels[start:len(d.labels):len(d.labels)])
	if len(ls) == 0 {
		ls = nil
	}
	return Item{Index: idx, Name: name, T: t, V: val, Labels: ls}, nil
}

// echoName is a refused name as the "metric" of its error: cut after the longest valid length,
// so a megabyte-long name does not come back in full.
func echoName(b []byte) string {
	if len(b) > model.MaxMetricNameLen {
		return string(b[:model.MaxMetricNameLen]) + "..."
	}
	return string(b)
}

func itemErr(idx int, metric string, code apierror.Code, format string, args ...any) *ItemError {
	return &ItemError{Index: idx, Metric: metric, Code: code, Error: fmt.Sprintf(format, args...)}
}

// parseValue returns the finite float64 of "value", or a message.
func parseValue(v *fastjson.Value) (float64, string) {
	if v == nil {
		return 0, `"value" is required`
	}
	if v.Type() != fastjson.TypeNumber {
		return 0, fmt.Sprintf(`"value" must be a JSON number, got %s`, v.Type())
	}
	f, err := v.Float64()
	if err != nil {
		return 0, fmt.Sprintf(`"value" %s is not a valid number`, truncate(v.MarshalTo(nil), 64))
	}
	// fastjson accepts the non-JSON tokens NaN and Inf, and 1e999 overflows to +Inf.
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Sprintf(`"value" must be a finite number, got %s`, truncate(v.MarshalTo(nil), 64))
	}
	return f, ""
}

// timestamp returns the Unix ms of "timestamp" (the request time when absent or null) once it
// is inside the accepted window, or a message.
func (d *Decoder) timestamp(v *fastjson.Value) (int64, string) {
	var ms int64
	var ok bool
	switch {
	case v == nil || v.Type() == fastjson.TypeNull:
		return d.nowMs, ""
	case v.Type() == fastjson.TypeNumber:
		// The number's JSON text, into a reused buffer (a local array would escape to the heap
		// through MarshalTo and cost one allocation per item).
		text := v.MarshalTo(d.num[:0])
		d.num = text
		if ms, ok = parseNumericTimestamp(b2s(text)); !ok {
			return 0, fmt.Sprintf(`"timestamp" %s is not a valid number; send Unix milliseconds, Unix seconds or an RFC 3339 string`, truncate(text, 64))
		}
	case v.Type() == fastjson.TypeString:
		sb, _ := v.StringBytes()
		if ms, ok = parseTimeString(b2s(sb)); !ok {
			return 0, fmt.Sprintf(`"timestamp" %q is not an RFC 3339 time (e.g. 2026-11-27T10:00:00Z); send it as a string in that form or as Unix milliseconds`, truncate(sb, 64))
		}
	default:
		return 0, fmt.Sprintf(`"timestamp" must be a number (Unix ms or s) or an RFC 3339 string, got %s`, v.Type())
	}
	if ms < d.min {
		return 0, fmt.Sprintf(`"timestamp" %s is older than max_age (%s before the server time %s); raise max_age to accept older points`,
			formatMs(ms), d.lim.MaxAge, formatMs(d.nowMs))
	}
	if ms > d.max {
		return 0, fmt.Sprintf(`"timestamp" %s is more than max_future (%s) after the server time %s; check the client clock or raise max_future`,
			formatMs(ms), d.lim.MaxFuture, formatMs(d.nowMs))
	}
	return ms, ""
}

// dimensions appends the item's labels to d.labels, sorted, or returns a message.
func (d *Decoder) dimensions(v *fastjson.Value) string {
	if v == nil || v.Type() == fastjson.TypeNull {
		return ""
	}
	if v.Type() != fastjson.TypeObject {
		return fmt.Sprintf(`"dimensions" must be an object of string values, got %s`, v.Type())
	}
	o, _ := v.Object()
	if n := o.Len(); n > model.MaxLabels {
		return fmt.Sprintf(`"dimensions" has %d keys, at most %d are allowed`, n, model.MaxLabels)
	}
	start := len(d.labels)
	var msg string
	pos := 0
	o.Visit(func(k []byte, dv *fastjson.Value) {
		if msg != "" {
			return
		}
		// Items of a batch usually list the same keys in the same order: comparing with the
		// previous item's key at this position is cheaper than hashing into the cache.
		key := d.lastKeys[pos]
		if len(k) == 0 || string(k) != key { // unused positions hold "", which must not pass as valid
			var ok bool
			var set int
			if key, set, ok = d.keys.get(k); !ok {
				if err := model.CheckLabelName(b2s(k)); err != nil {
					msg = err.Error()
					return
				}
				key = d.keys.add(k, set)
			}
			d.lastKeys[pos] = key
		}
		pos++
		if dv.Type() != fastjson.TypeString {
			msg = fmt.Sprintf(`value of dimension %q must be a string, got %s; send it quoted, e.g. "%s"`,
				k, dv.Type(), truncate(dv.MarshalTo(nil), 64))
			return
		}
		vb, _ := dv.StringBytes()
		// Long values skip the cache: they are rarely repeated and would make it big.
		var val string
		ok, set := false, 0
		if len(vb) <= maxCachedValue {
			val, set, ok = d.values.get(vb)
		}
		if !ok {
			if err := checkLabelValue(key, vb); err != nil {
				msg = err.Error()
				return
			}
			if len(vb) <= maxCachedValue {
				val = d.values.add(vb, set)
			} else {
				val = string(vb)
			}
		}
		d.labels = append(d.labels, model.Label{Name: key, Value: val})
	})
	if msg != "" {
		return msg
	}
	if dup := sortLabels(d.labels[start:]); dup != "" {
		return fmt.Sprintf("dimension key %q appears more than once", dup)
	}
	return ""
}

// checkLabelValue is model.CheckLabelValue with a fast path for the common case, printable
// ASCII, which needs neither UTF-8 decoding nor the rune loop.
func checkLabelValue(key string, b []byte) error {
	if len(b) > 0 && len(b) <= model.MaxLabelValueLen {
		ascii := true
		for _, c := range b {
			if c < 0x20 || c >= 0x7f {
				ascii = false
				break
			}
		}
		if ascii {
			return nil
		}
	}
	return model.CheckLabelValue(key, b2s(b))
}

// sortLabels sorts ls by name with an insertion sort (at most 32 labels, usually a handful, and
// no allocation unlike sort.Slice) and returns a duplicated name, if any.
func sortLabels(ls []model.Label) string {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
	for i := 1; i < len(ls); i++ {
		if ls[i].Name == ls[i-1].Name {
			return ls[i].Name
		}
	}
	return ""
}

// truncate cuts what an error message echoes from the request, so a huge token cannot make
// the answer huge.
func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
