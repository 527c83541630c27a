package luminateexporter

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/luminate-metrics/luminate/internal/model"
)

// labelBuilder turns attribute maps into sorted dimension sets. One builder serves one push at
// a time (converters are pooled), so its buffers are reused across points and pushes: the
// per-point path allocates nothing for string, bool and int attributes with valid names.
type labelBuilder struct {
	filter *keyFilter
	// arena holds the text of int attributes of the current point. Labels point into it
	// without a copy (unsafe.String); that is safe because store.Appender.Append copies what it
	// keeps and a rejection clones the arena's strings (inArena) before the arena is reset.
	arena []byte
	// renamed holds attributes whose key sanitize changed, until the exact spellings are in.
	renamed model.Labels
	// names caches sanitize for keys that needed it, so a sender with "http-method" on every
	// point costs one allocation per push, not one per point. Cleared when it grows large.
	names map[string]string
}

const maxCachedNames = 1024

// appendAttrs appends the attributes of m that pass the filter (skip excepted) to dst, sorted
// by name and without duplicate names. Keys are sanitized; empty keys and empty values are
// dropped (an empty value is a missing dimension). When two keys sanitize to the same name
// ("http-method" and "http_method"), the one spelled exactly wins, whatever the map order.
// ints go to the arena when useArena is set (data points); resource attributes are built once
// per resource and must outlive the arena, so they allocate.
func (b *labelBuilder) appendAttrs(dst model.Labels, m pcommon.Map, skip string, useArena bool) model.Labels {
	start := len(dst)
	b.renamed = b.renamed[:0]
	for k, v := range m.All() {
		if k == "" || k == skip || !b.filter.keep(k) {
			continue
		}
		val := b.value(v, useArena)
		if val == "" {
			continue
		}
		if model.ValidName(k) {
			dst = append(dst, model.Label{Name: k, Value: val})
		} else {
			b.renamed = append(b.renamed, model.Label{Name: b.sanitized(k), Value: val})
		}
	}
	for _, l := range b.renamed {
		if _, taken := dst[start:].Get(l.Name); !taken {
			dst = append(dst, l)
		}
	}
	sortLabels(dst[start:])
	return dedupeSorted(dst, start)
}

func (b *labelBuilder) sanitized(k string) string {
	if s, ok := b.names[k]; ok {
		return s
	}
	if b.names == nil || len(b.names) >= maxCachedNames {
		b.names = make(map[string]string)
	}
	s := sanitize(k)
	b.names[k] = s
	return s
}

// value renders an attribute value as a dimension value. Strings are used as they are (no
// copy); ints and bools are formatted; doubles, bytes (base64), arrays and maps (JSON) go
// through AsString, which allocates but is rare for metric attributes.
func (b *labelBuilder) value(v pcommon.Value, useArena bool) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return "true"
		}
		return "false"
	case pcommon.ValueTypeInt:
		if !useArena {
			return strconv.FormatInt(v.Int(), 10)
		}
		n := len(b.arena)
		b.arena = strconv.AppendInt(b.arena, v.Int(), 10)
		s := b.arena[n:]
		return unsafe.String(unsafe.SliceData(s), len(s))
	case pcommon.ValueTypeEmpty:
		return ""
	}
	return v.AsString()
}

// inArena reports whether s points into the arena's current backing array, the only memory
// the builder overwrites. (Strings in an array the arena outgrew stay valid: it is never
// written again.)
func (b *labelBuilder) inArena(s string) bool {
	if len(s) == 0 || cap(b.arena) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b.arena)))
	return p >= start && p < start+uintptr(cap(b.arena))
}

// sortLabels sorts by name, stably. Dimension sets are small (a handful of attributes), where
// insertion sort beats sort.Slice's interface calls and allocation.
func sortLabels(ls model.Labels) {
	if len(ls) > 32 {
		slices.SortStableFunc(ls, func(a, b model.Label) int { return cmp.Compare(a.Name, b.Name) })
		return
	}
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// dedupeSorted keeps the first of each run of equal names in ls[start:] (a map decoded from
// the wire may repeat a key).
func dedupeSorted(ls model.Labels, start int) model.Labels {
	out := ls[:start]
	for i := start; i < len(ls); i++ {
		if len(out) > start && out[len(out)-1].Name == ls[i].Name {
			continue
		}
		out = append(out, ls[i])
	}
	return out
}

// merge appends the union of the sorted sets lo and hi to dst, sorted; on equal names hi wins
// (data point over scope over resource).
func merge(dst, lo, hi model.Labels) model.Labels {
	i, j := 0, 0
	for i < len(lo) && j < len(hi) {
		// One three-way compare per step: the names mostly share long prefixes
		// ("service.", "k8s.pod."), so comparing twice would scan them twice.
		switch c := strings.Compare(lo[i].Name, hi[j].Name); {
		case c < 0:
			dst = append(dst, lo[i])
			i++
		case c > 0:
			dst = append(dst, hi[j])
			j++
		default:
			dst = append(dst, hi[j])
			i++
			j++
		}
	}
	dst = append(dst, lo[i:]...)
	return append(dst, hi[j:]...)
}
