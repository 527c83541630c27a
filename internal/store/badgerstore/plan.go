package badgerstore

import (
	"encoding/binary"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
)

// plan is what a query needs from the index, taken under one read lock: for each series its
// group (or -1 when a filter excludes it), the group keys, and the chunks worth reading.
type plan struct {
	groupOf []int32
	keys    [][]string
	chunks  []uint32
	matched int64
	labels  func(sid uint32) model.Labels // valid after the lock: copies only
}

func makePlan(m *seriesindex.Metric, q *store.Query) *plan {
	p := &plan{}
	m.View(func(v *seriesindex.View) {
		n := v.Len()
		p.groupOf = make([]int32, n)
		fs := compileFilters(v, q.Filters)
		g := newGrouper(v, q.GroupBy)
		lastChunk := int64(-1)
		for sid := range n {
			if !fs.pass(sid) {
				p.groupOf[sid] = -1
				continue
			}
			p.matched++
			p.groupOf[sid] = g.group(sid)
			if c := int64(sid >> chunkBits); c != lastChunk {
				p.chunks = append(p.chunks, uint32(c))
				lastChunk = c
			}
		}
		p.keys = g.keys
		if q.Kind == store.KindRange && q.Interval == 0 {
			// Raw points carry their labels: snapshot the ones that can appear.
			snap := make(map[uint32]model.Labels)
			for sid := range n {
				if p.groupOf[sid] >= 0 {
					snap[sid] = v.Labels(sid)
				}
			}
			p.labels = func(sid uint32) model.Labels { return snap[sid] }
		}
	})
	return p
}

// compiledFilter evaluates a filter once per distinct value: table[id] says whether value id
// (0 = key missing) passes. A regex over 1M series with 10k customers runs 10k times, and each
// series then costs one array read.
type compiledFilter struct {
	col   *seriesindex.Column // nil: no series has the key
	table []bool
}

type compiledFilters []compiledFilter

func compileFilters(v *seriesindex.View, fs []store.Filter) compiledFilters {
	out := make(compiledFilters, len(fs))
	for i := range fs {
		f := &fs[i]
		col := v.Column(f.Key)
		if col == nil {
			out[i] = compiledFilter{table: []bool{f.Match("", false)}}
			continue
		}
		t := make([]bool, col.NumValues()+1)
		t[0] = f.Match("", false)
		for id := 1; id <= col.NumValues(); id++ {
			t[id] = f.Match(col.ValueOf(uint32(id)), true)
		}
		out[i] = compiledFilter{col: col, table: t}
	}
	return out
}

func (fs compiledFilters) pass(sid uint32) bool {
	for i := range fs {
		id := uint32(0)
		if fs[i].col != nil {
			id = fs[i].col.IDOf(sid)
		}
		if !fs[i].table[id] {
			return false
		}
	}
	return true
}

// grouper assigns dense group numbers by the value ids of the group-by keys.
type grouper struct {
	cols   []*seriesindex.Column
	single map[uint32]int32
	multi  map[string]int32
	buf    []byte
	keys   [][]string
}

func newGrouper(v *seriesindex.View, by []string) *grouper {
	g := &grouper{single: map[uint32]int32{}, multi: map[string]int32{}}
	for _, k := range by {
		g.cols = append(g.cols, v.Column(k)) // nil: no series has the key
	}
	return g
}

func (g *grouper) idOf(i int, sid uint32) uint32 {
	if g.cols[i] == nil {
		return 0
	}
	return g.cols[i].IDOf(sid)
}

func (g *grouper) group(sid uint32) int32 {
	if len(g.cols) == 1 {
		id := g.idOf(0, sid)
		if gi, ok := g.single[id]; ok {
			return gi
		}
		gi := g.newGroup(sid)
		g.single[id] = gi
		return gi
	}
	g.buf = g.buf[:0]
	for i := range g.cols {
		g.buf = binary.LittleEndian.AppendUint32(g.buf, g.idOf(i, sid))
	}
	if gi, ok := g.multi[string(g.buf)]; ok {
		return gi
	}
	gi := g.newGroup(sid)
	g.multi[string(g.buf)] = gi
	return gi
}

func (g *grouper) newGroup(sid uint32) int32 {
	key := make([]string, len(g.cols))
	for i, c := range g.cols {
		if id := g.idOf(i, sid); id != 0 {
			key[i] = c.ValueOf(id)
		}
	}
	g.keys = append(g.keys, key)
	return int32(len(g.keys) - 1)
}
