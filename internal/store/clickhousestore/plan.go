package clickhousestore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// plan holds the SQL fragments of one query.
//
// A dimension key is "hot" when every slot map the metric was ever written with stores it in the
// same slot: then column d<slot> of every samples row holds its value ("" when missing), and
// filters and group-bys read that column. Any other key is "cold": filters become a
// series_id IN (subquery on the series table) and group-bys a JOIN with it.
type plan struct {
	s    *Store
	q    *store.Query
	meta model.MetricMeta
	hot  map[string]int // key -> slot index (0-based)
	ls   labelSQL

	where    string   // the samples predicate: tenant, metric, time, filters
	keyCols  []string // per GroupBy key: the samples-level select expression, aliased k<i>
	keyNames []string // k0, k1, ...
	coldKeys []int    // indexes into GroupBy of cold keys (need the JOIN)
}

func newPlan(s *Store, q *store.Query, meta model.MetricMeta, maps [][]string) *plan {
	p := &plan{s: s, q: q, meta: meta, hot: hotKeys(maps), ls: newLabelSQL(maps)}
	p.where = p.samplesWhere()
	for i, k := range q.GroupBy {
		name := fmt.Sprintf("k%d", i)
		p.keyNames = append(p.keyNames, name)
		if slot, ok := p.hot[k]; ok {
			p.keyCols = append(p.keyCols, fmt.Sprintf("d%d AS %s", slot+1, name))
		} else {
			p.keyCols = append(p.keyCols, name) // comes from the JOIN
			p.coldKeys = append(p.coldKeys, i)
		}
	}
	return p
}

// hotKeys returns the keys every map stores in the same slot.
func hotKeys(maps [][]string) map[string]int {
	out := map[string]int{}
	if len(maps) == 0 {
		return out
	}
	for slot, k := range maps[0] {
		same := true
		for _, m := range maps[1:] {
			if slot >= len(m) || m[slot] != k {
				same = false
				break
			}
		}
		if same {
			out[k] = slot
		}
	}
	return out
}

// timeWhere bounds both ts (partition and hour-bucket pruning) and ts_ms (the exact range).
func (p *plan) timeWhere() string {
	lo := max(floorDiv(p.q.Start, 1000), 0)
	hi := min(floorDiv(p.q.End, 1000), maxTimestampMs/1000)
	return fmt.Sprintf("ts >= toDateTime(%d) AND ts <= toDateTime(%d) AND ts_ms >= %d AND ts_ms <= %d", lo, hi, p.q.Start, p.q.End)
}

func (p *plan) metricWhere() string {
	return "tenant = " + quote(p.q.Tenant) + " AND metric = " + quote(p.q.Metric)
}

func (p *plan) samplesWhere() string {
	conds := []string{p.metricWhere(), p.timeWhere()}
	var cold []string
	for i := range p.q.Filters {
		f := &p.q.Filters[i]
		if slot, ok := p.hot[f.Key]; ok && f.Op != store.OpExists {
			conds = append(conds, filterSQL(fmt.Sprintf("d%d", slot+1), f))
		} else {
			cold = append(cold, filterSQL(p.ls.value(f.Key), f))
		}
	}
	if len(cold) > 0 {
		conds = append(conds, "series_id IN (SELECT series_id FROM "+p.s.t.seriesLocal+" WHERE "+p.metricWhere()+" AND "+strings.Join(cold, " AND ")+")")
	}
	return strings.Join(conds, " AND ")
}

// seriesWhere evaluates every filter on the series table's arrays (for max_series).
func (p *plan) seriesWhere() string {
	conds := []string{p.metricWhere()}
	for i := range p.q.Filters {
		conds = append(conds, filterSQL(p.ls.value(p.q.Filters[i].Key), &p.q.Filters[i]))
	}
	return strings.Join(conds, " AND ")
}

// labelSQL reads label values from the series table. A key's value is in the row's hot slot
// column when the row's slot map (slots: its keys joined by NUL) stores it there; otherwise in
// dim_values, at the key's index in dim_keys. Rows written before the series table had slots
// have every value in dim_values. A missing key reads as "" either way (an empty slot, or
// element 0 of an array, which is the type's default): exactly the "missing key = ”" rule.
type labelSQL struct {
	hot  map[string]int // keys every map stores in the same slot
	maps [][]string
}

func newLabelSQL(maps [][]string) labelSQL { return labelSQL{hot: hotKeys(maps), maps: maps} }

// value is the SQL expression of key's value in a series row.
func (l labelSQL) value(key string) string {
	if slot, ok := l.hot[key]; ok {
		return fmt.Sprintf("d%d", slot+1)
	}
	var cases []string
	for _, m := range l.maps {
		if i := slices.Index(m, key); i >= 0 {
			cases = append(cases, "slots = "+quote(joinSlots(m)), fmt.Sprintf("d%d", i+1))
		}
	}
	if len(cases) == 0 {
		return arrayValue(key)
	}
	return "multiIf(" + strings.Join(cases, ", ") + ", " + arrayValue(key) + ")"
}

// joinSlots is the series table's slots value of a slot map.
func joinSlots(keys []string) string { return strings.Join(keys, "\x00") }

// splitSlots reverses joinSlots.
func splitSlots(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// arrayValue reads a key from the series arrays; indexOf gives 0 for a missing key and element
// 0 of an array is the type's default "".
func arrayValue(key string) string {
	return "dim_values[indexOf(dim_keys, " + quote(key) + ")]"
}

// filterSQL is one filter as a predicate on expr.
func filterSQL(expr string, f *store.Filter) string {
	switch f.Op {
	case store.OpEq:
		return expr + " = " + quote(f.Values[0])
	case store.OpNe:
		return expr + " != " + quote(f.Values[0])
	case store.OpIn:
		if len(f.Values) == 0 {
			return "0"
		}
		return expr + " IN " + quoteList(f.Values)
	case store.OpNin:
		if len(f.Values) == 0 {
			return "1"
		}
		return expr + " NOT IN " + quoteList(f.Values)
	case store.OpRegex:
		return "match(" + expr + ", " + quote(f.Regex.String()) + ")"
	case store.OpNregex:
		return "NOT match(" + expr + ", " + quote(f.Regex.String()) + ")"
	case store.OpExists:
		if f.Exists {
			return "has(dim_keys, " + quote(f.Key) + ")"
		}
		return "NOT has(dim_keys, " + quote(f.Key) + ")"
	}
	return "0"
}

// join returns the JOIN that brings the cold group-by keys, or "". seriesTable is the local
// table when the JOIN runs on each shard beside its samples, the Distributed one when it runs
// on the initiator above a subquery.
func (p *plan) join(seriesTable string) string {
	if len(p.coldKeys) == 0 {
		return ""
	}
	cols := []string{"series_id"}
	for _, i := range p.coldKeys {
		cols = append(cols, p.ls.value(p.q.GroupBy[i])+" AS "+p.keyNames[i])
	}
	// series rows may repeat until merged (a series written by two processes): ANY keeps one
	return " ANY INNER JOIN (SELECT " + strings.Join(cols, ", ") + " FROM " + seriesTable + " WHERE " + p.metricWhere() + ") USING series_id"
}

// selectKeys is the key list for a SELECT, with a trailing comma when non-empty.
func selectKeys(cols []string) string {
	if len(cols) == 0 {
		return ""
	}
	return strings.Join(cols, ", ") + ", "
}

func groupBy(names []string, extra ...string) string {
	all := append(append([]string(nil), names...), extra...)
	if len(all) == 0 {
		return ""
	}
	return " GROUP BY " + strings.Join(all, ", ")
}

// orderBy sorts groups by v (then key) in the direction store.RankGroups ranks them.
func (p *plan) orderBy() string {
	dir := "DESC"
	if p.q.Order == store.OrderAsc {
		dir = "ASC"
	}
	return " ORDER BY v " + dir + ", " + strings.Join(p.keyNames, ", ")
}

// bucketExpr is the start of a point's bucket: epoch-aligned intervals, or the range start when
// the whole range is one bucket. ts_ms is never negative (the appender refuses it).
func (p *plan) bucketExpr(ts string) string {
	if p.q.Interval > 0 {
		return fmt.Sprintf("intDiv(%s, %d) * %d", ts, p.q.Interval, p.q.Interval)
	}
	return fmt.Sprintf("toInt64(%d)", p.q.Start)
}
