package clickhousestore

import (
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/luminate-metrics/luminate/internal/model"
)

// The rows of one INSERT, column by column (the shape the native protocol sends), so that a
// commit appends slices instead of allocating a row struct per point and a group commit copies
// whole columns. String columns repeat the same few strings (tenant, metric, interned hot
// values): appending them copies a string header, never the bytes.

// sampleRows holds rows of the samples table.
type sampleRows struct {
	tenant, metric []string
	d1, d2, d3     []string
	sid            []uint64
	tsSec          []int64 // the DateTime column ts
	tsMs           []int64
	start          []int64
	value          []float64
	ver            []uint64
	writer         []uint64
	hasStart       bool // some row has a start time: send the start_ms column
}

func (r *sampleRows) len() int { return len(r.sid) }

func (r *sampleRows) reset() {
	*r = sampleRows{tenant: r.tenant[:0], metric: r.metric[:0], d1: r.d1[:0], d2: r.d2[:0], d3: r.d3[:0], sid: r.sid[:0],
		tsSec: r.tsSec[:0], tsMs: r.tsMs[:0], start: r.start[:0], value: r.value[:0], ver: r.ver[:0], writer: r.writer[:0]}
}

// grow makes room for n more rows.
func (r *sampleRows) grow(n int) {
	if n <= 0 {
		return
	}
	r.tenant = slices.Grow(r.tenant, n)
	r.metric = slices.Grow(r.metric, n)
	r.d1 = slices.Grow(r.d1, n)
	r.d2 = slices.Grow(r.d2, n)
	r.d3 = slices.Grow(r.d3, n)
	r.sid = slices.Grow(r.sid, n)
	r.tsSec = slices.Grow(r.tsSec, n)
	r.tsMs = slices.Grow(r.tsMs, n)
	r.start = slices.Grow(r.start, n)
	r.value = slices.Grow(r.value, n)
}

func (r *sampleRows) add(tenant, metric string, d *[MaxHotSlots]string, sid uint64, t, start int64, v float64) {
	r.tenant = append(r.tenant, tenant)
	r.metric = append(r.metric, metric)
	r.d1 = append(r.d1, d[0])
	r.d2 = append(r.d2, d[1])
	r.d3 = append(r.d3, d[2])
	r.sid = append(r.sid, sid)
	r.tsSec = append(r.tsSec, floorDiv(t, 1000))
	r.tsMs = append(r.tsMs, t)
	r.start = append(r.start, start)
	r.value = append(r.value, v)
	r.hasStart = r.hasStart || start != 0
}

// appendFrom copies src's rows with the commit's version and writer epoch.
func (r *sampleRows) appendFrom(src *sampleRows, ver, writer uint64) {
	r.tenant = append(r.tenant, src.tenant...)
	r.metric = append(r.metric, src.metric...)
	r.d1 = append(r.d1, src.d1...)
	r.d2 = append(r.d2, src.d2...)
	r.d3 = append(r.d3, src.d3...)
	r.sid = append(r.sid, src.sid...)
	r.tsSec = append(r.tsSec, src.tsSec...)
	r.tsMs = append(r.tsMs, src.tsMs...)
	r.start = append(r.start, src.start...)
	r.value = append(r.value, src.value...)
	r.ver = appendRepeat(r.ver, ver, len(src.sid))
	r.writer = appendRepeat(r.writer, writer, len(src.sid))
	r.hasStart = r.hasStart || src.hasStart
}

// columns are the INSERT's column list and data. start_ms is sent only when some row has a start
// time (gauges and JSON writes never do): the server fills the default 0, one column less to
// encode and parse per row.
func (r *sampleRows) columns() (string, []any) {
	if r.hasStart {
		return "tenant, metric, d1, d2, d3, series_id, ts, ts_ms, start_ms, value, ver, writer",
			[]any{r.tenant, r.metric, r.d1, r.d2, r.d3, r.sid, r.tsSec, r.tsMs, r.start, r.value, r.ver, r.writer}
	}
	return "tenant, metric, d1, d2, d3, series_id, ts, ts_ms, value, ver, writer",
		[]any{r.tenant, r.metric, r.d1, r.d2, r.d3, r.sid, r.tsSec, r.tsMs, r.value, r.ver, r.writer}
}

func appendRepeat[T any](dst []T, v T, n int) []T {
	for range n {
		dst = append(dst, v)
	}
	return dst
}

// seriesRows holds rows of the series table. dim_keys lists every label key; dim_values holds
// the value of each key that is not stored in a hot slot of the row's slot map (slots), and ""
// for those that are: their values are the row's d1..d3 already (docs/storage-clickhouse.md,
// "Series table").
type seriesRows struct {
	tenant, metric []string
	sid            []uint64
	d1, d2, d3     []string
	keys, values   [][]string
	slots          []string
	updated        []int64
}

func (r *seriesRows) len() int { return len(r.sid) }

// allEmpty is the dim_values of a series whose every label is in a hot slot (up to 3 labels).
var allEmpty = [MaxHotSlots][]string{{""}, {"", ""}, {"", "", ""}}

// add appends a series row. keys is the previous row's key list: when this series has the same
// keys the slice is shared (one allocation per key set, not per series); the row's keys are
// returned for the next call.
func (r *seriesRows) add(tenant, metric string, sid uint64, hot *[MaxHotSlots]string, slots []string, joinedSlots string, ls model.Labels, keys []string, updated int64) []string {
	r.tenant = append(r.tenant, tenant)
	r.metric = append(r.metric, metric)
	r.sid = append(r.sid, sid)
	r.d1 = append(r.d1, hot[0])
	r.d2 = append(r.d2, hot[1])
	r.d3 = append(r.d3, hot[2])
	same := len(keys) == len(ls)
	cold := 0
	for i, l := range ls {
		same = same && keys[i] == l.Name
		if !containsStr(slots, l.Name) && l.Value != "" {
			cold++
		}
	}
	if !same {
		keys = make([]string, len(ls))
		for i, l := range ls {
			keys[i] = l.Name
		}
	}
	var vals []string
	switch {
	case len(ls) == 0:
		vals = []string{}
	case cold == 0 && len(ls) <= MaxHotSlots:
		vals = allEmpty[len(ls)-1]
	default:
		vals = make([]string, len(ls))
		for i, l := range ls {
			if !containsStr(slots, l.Name) {
				vals[i] = l.Value
			}
		}
	}
	r.keys = append(r.keys, keys)
	r.values = append(r.values, vals)
	r.slots = append(r.slots, joinedSlots)
	r.updated = append(r.updated, updated)
	return keys
}
func (r *seriesRows) reset() {
	*r = seriesRows{tenant: r.tenant[:0], metric: r.metric[:0], sid: r.sid[:0], d1: r.d1[:0], d2: r.d2[:0], d3: r.d3[:0],
		keys: r.keys[:0], values: r.values[:0], slots: r.slots[:0], updated: r.updated[:0]}
}

func (r *seriesRows) appendFrom(src *seriesRows) {
	r.tenant = append(r.tenant, src.tenant...)
	r.metric = append(r.metric, src.metric...)
	r.sid = append(r.sid, src.sid...)
	r.d1 = append(r.d1, src.d1...)
	r.d2 = append(r.d2, src.d2...)
	r.d3 = append(r.d3, src.d3...)
	r.keys = append(r.keys, src.keys...)
	r.values = append(r.values, src.values...)
	r.slots = append(r.slots, src.slots...)
	r.updated = append(r.updated, src.updated...)
}

const seriesColumns = "tenant, metric, series_id, d1, d2, d3, dim_keys, dim_values, slots, updated"

func (r *seriesRows) columns() []any {
	return []any{r.tenant, r.metric, r.sid, r.d1, r.d2, r.d3, arrayRows[string](r.keys), arrayRows[string](r.values), r.slots, r.updated}
}

// arrayRows is an Array column's data: send appends it row by row, which takes clickhouse-go's
// path without reflection (a whole [][]T goes through reflect.Value per element, several times
// slower).
type arrayRows[T any] [][]T

func (a arrayRows[T]) appendTo(c driver.BatchColumn) error {
	for _, row := range a {
		if err := c.AppendRow(row); err != nil {
			return err
		}
	}
	return nil
}

type rowAppender interface {
	appendTo(c driver.BatchColumn) error
}

// rewriteRows are rows of the rewrites table: points that may overwrite a point already stored
// (same series and timestamp), so that queries de-duplicate exactly those series (scan.go).
type rewriteRows struct {
	tenant, metric []string
	tsSec, tsMs    []int64
	sid            []uint64
}

func (r *rewriteRows) len() int { return len(r.sid) }

func (r *rewriteRows) add(tenant, metric string, sid uint64, t int64) {
	r.tenant = append(r.tenant, tenant)
	r.metric = append(r.metric, metric)
	r.tsSec = append(r.tsSec, floorDiv(t, 1000))
	r.tsMs = append(r.tsMs, t)
	r.sid = append(r.sid, sid)
}

func (r *rewriteRows) appendFrom(src *rewriteRows) {
	r.tenant = append(r.tenant, src.tenant...)
	r.metric = append(r.metric, src.metric...)
	r.tsSec = append(r.tsSec, src.tsSec...)
	r.tsMs = append(r.tsMs, src.tsMs...)
	r.sid = append(r.sid, src.sid...)
}

const rewriteColumns = "tenant, metric, ts, ts_ms, series_id"

func (r *rewriteRows) columns() []any {
	return []any{r.tenant, r.metric, r.tsSec, r.tsMs, r.sid}
}

// histRows holds rows of the histograms table.
type histRows struct {
	tenant, metric []string
	d1, d2, d3     []string
	sid            []uint64
	tsSec, tsMs    []int64
	start          []int64
	ver            []uint64
	flags          []uint8
	count          []uint64
	sum, min, max  []float64
	bounds         [][]float64
	bucketCounts   [][]uint64
	scale          []int32
	zeroCount      []uint64
	zeroThreshold  []float64
	posOffset      []int32
	posCounts      [][]uint64
	negOffset      []int32
	negCounts      [][]uint64
}

// Bits of histograms.flags.
const (
	histHasSum = 1 << iota
	histHasMin
	histHasMax
	histExp
)

func (r *histRows) len() int { return len(r.sid) }

func (r *histRows) add(tenant, metric string, d *[MaxHotSlots]string, sid uint64, t, start int64, h *model.Histogram) {
	r.tenant = append(r.tenant, tenant)
	r.metric = append(r.metric, metric)
	r.d1 = append(r.d1, d[0])
	r.d2 = append(r.d2, d[1])
	r.d3 = append(r.d3, d[2])
	r.sid = append(r.sid, sid)
	r.tsSec = append(r.tsSec, floorDiv(t, 1000))
	r.tsMs = append(r.tsMs, t)
	r.start = append(r.start, start)
	var f uint8
	if h.HasSum {
		f |= histHasSum
	}
	if h.HasMin {
		f |= histHasMin
	}
	if h.HasMax {
		f |= histHasMax
	}
	if h.Exp {
		f |= histExp
	}
	r.flags = append(r.flags, f)
	r.count = append(r.count, h.Count)
	r.sum = append(r.sum, h.Sum)
	r.min = append(r.min, h.Min)
	r.max = append(r.max, h.Max)
	r.bounds = append(r.bounds, nonNil(h.Bounds))
	r.bucketCounts = append(r.bucketCounts, nonNil(h.Counts))
	r.scale = append(r.scale, h.Scale)
	r.zeroCount = append(r.zeroCount, h.ZeroCount)
	r.zeroThreshold = append(r.zeroThreshold, h.ZeroThreshold)
	r.posOffset = append(r.posOffset, h.PosOffset)
	r.posCounts = append(r.posCounts, nonNil(h.Pos))
	r.negOffset = append(r.negOffset, h.NegOffset)
	r.negCounts = append(r.negCounts, nonNil(h.Neg))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (r *histRows) appendFrom(src *histRows, ver uint64) {
	r.tenant = append(r.tenant, src.tenant...)
	r.metric = append(r.metric, src.metric...)
	r.d1 = append(r.d1, src.d1...)
	r.d2 = append(r.d2, src.d2...)
	r.d3 = append(r.d3, src.d3...)
	r.sid = append(r.sid, src.sid...)
	r.tsSec = append(r.tsSec, src.tsSec...)
	r.tsMs = append(r.tsMs, src.tsMs...)
	r.start = append(r.start, src.start...)
	r.ver = appendRepeat(r.ver, ver, len(src.sid))
	r.flags = append(r.flags, src.flags...)
	r.count = append(r.count, src.count...)
	r.sum = append(r.sum, src.sum...)
	r.min = append(r.min, src.min...)
	r.max = append(r.max, src.max...)
	r.bounds = append(r.bounds, src.bounds...)
	r.bucketCounts = append(r.bucketCounts, src.bucketCounts...)
	r.scale = append(r.scale, src.scale...)
	r.zeroCount = append(r.zeroCount, src.zeroCount...)
	r.zeroThreshold = append(r.zeroThreshold, src.zeroThreshold...)
	r.posOffset = append(r.posOffset, src.posOffset...)
	r.posCounts = append(r.posCounts, src.posCounts...)
	r.negOffset = append(r.negOffset, src.negOffset...)
	r.negCounts = append(r.negCounts, src.negCounts...)
}

const histColumns = "tenant, metric, d1, d2, d3, series_id, ts, ts_ms, start_ms, ver, flags, count, sum, min, max, bounds, bucket_counts, " +
	"scale, zero_count, zero_threshold, positive_offset, positive_counts, negative_offset, negative_counts"

func (r *histRows) columns() []any {
	return []any{r.tenant, r.metric, r.d1, r.d2, r.d3, r.sid, r.tsSec, r.tsMs, r.start, r.ver, r.flags, r.count, r.sum, r.min, r.max,
		arrayRows[float64](r.bounds), arrayRows[uint64](r.bucketCounts), r.scale, r.zeroCount, r.zeroThreshold, r.posOffset,
		arrayRows[uint64](r.posCounts), r.negOffset, arrayRows[uint64](r.negCounts)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
