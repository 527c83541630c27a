package badgerstore

import (
	"slices"
	"sort"

	"github.com/luminate-metrics/luminate/internal/sampleblock"
)

// regroup reorders the points of one chunk (as decoded: hour by hour, block by block in write
// order) into one run per series, using dst as the buffer: a counting sort on the chunk-local
// series number, which keeps write order inside a series. Points keep rejects are dropped. fn
// gets each series' run sorted by time with one point per timestamp, the last written. It
// returns the buffer and the number of points kept (before de-duplication).
func regroup(dst, pts []sampleblock.Point, keep func(sampleblock.Point) bool, fn func(sid uint32, run []sampleblock.Point)) ([]sampleblock.Point, int) {
	var off [chunkSize + 1]int
	n := 0
	for _, p := range pts {
		if keep(p) {
			off[p.SID+1]++
			n++
		}
	}
	if n == 0 {
		return dst, 0
	}
	for i := 1; i <= chunkSize; i++ {
		off[i] += off[i-1]
	}
	dst = slices.Grow(dst[:0], n)[:n]
	pos := off
	for _, p := range pts {
		if keep(p) {
			dst[pos[p.SID]] = p
			pos[p.SID]++
		}
	}
	for sid := range chunkSize {
		if run := dst[off[sid]:off[sid+1]]; len(run) > 0 {
			fn(uint32(sid), timeOrder(run))
		}
	}
	return dst, n
}

// timeOrder sorts a run by time (stable, so a later write stays after an earlier one with the
// same timestamp) and keeps the last point of each timestamp.
func timeOrder(run []sampleblock.Point) []sampleblock.Point {
	sorted := true
	for i := 1; i < len(run); i++ {
		if run[i].T <= run[i-1].T {
			sorted = false
			break
		}
	}
	if sorted {
		return run
	}
	sort.SliceStable(run, func(i, j int) bool { return run[i].T < run[j].T })
	out := run[:0]
	for i, p := range run {
		if i+1 < len(run) && run[i+1].T == p.T {
			continue
		}
		out = append(out, p)
	}
	return out
}
