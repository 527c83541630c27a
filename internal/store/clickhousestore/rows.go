package clickhousestore

// sampleRows holds rows of the samples table column by column, the shape an INSERT sends, so
// a group commit appends slices instead of allocating a row struct per point.
type sampleRows struct {
	tenant, metric []string
	d1, d2, d3     []string
	sid            []uint64
	tsSec          []int64 // the DateTime column ts
	tsMs           []int64
	value          []float64
	ver            []uint64
}

func (r *sampleRows) len() int { return len(r.sid) }

func (r *sampleRows) add(tenant, metric string, d *[MaxHotSlots]string, sid uint64, t int64, v float64, ver uint64) {
	r.tenant = append(r.tenant, tenant)
	r.metric = append(r.metric, metric)
	r.d1 = append(r.d1, d[0])
	r.d2 = append(r.d2, d[1])
	r.d3 = append(r.d3, d[2])
	r.sid = append(r.sid, sid)
	r.tsSec = append(r.tsSec, floorDiv(t, 1000))
	r.tsMs = append(r.tsMs, t)
	r.value = append(r.value, v)
	r.ver = append(r.ver, ver)
}

func (r *sampleRows) columns() []any {
	return []any{r.tenant, r.metric, r.d1, r.d2, r.d3, r.sid, r.tsSec, r.tsMs, r.value, r.ver}
}

const sampleColumns = "tenant, metric, d1, d2, d3, series_id, ts, ts_ms, value, ver"

// seriesRows holds rows of the series table.
type seriesRows struct {
	tenant, metric []string
	sid            []uint64
	d1, d2, d3     []string
	keys, values   [][]string
	typ, unit      []string
	temporality    []string
	monotonic      []uint8
	updated        []int64
}

func (r *seriesRows) len() int { return len(r.sid) }

func (r *seriesRows) add(s *newSeries, updated int64) {
	r.tenant = append(r.tenant, s.ms.tenant)
	r.metric = append(r.metric, s.ms.name)
	r.sid = append(r.sid, s.sid)
	r.d1 = append(r.d1, s.hot[0])
	r.d2 = append(r.d2, s.hot[1])
	r.d3 = append(r.d3, s.hot[2])
	keys := make([]string, len(s.labels))
	vals := make([]string, len(s.labels))
	for i, l := range s.labels {
		keys[i], vals[i] = l.Name, l.Value
	}
	r.keys = append(r.keys, keys)
	r.values = append(r.values, vals)
	r.typ = append(r.typ, s.meta.Type.String())
	r.unit = append(r.unit, s.meta.Unit)
	r.temporality = append(r.temporality, temporalityName(s.meta.Temporality))
	r.monotonic = append(r.monotonic, boolByte(s.meta.Monotonic))
	r.updated = append(r.updated, updated)
}

func (r *seriesRows) columns() []any {
	return []any{r.tenant, r.metric, r.sid, r.d1, r.d2, r.d3, r.keys, r.values, r.typ, r.unit, r.temporality, r.monotonic, r.updated}
}

const seriesColumns = "tenant, metric, series_id, d1, d2, d3, dim_keys, dim_values, type, unit, temporality, monotonic, updated"

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
