package memstore

import (
	"github.com/luminate-metrics/luminate/internal/histogram"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// histogramGroups answers a query on a histogram metric. Each point becomes the observations
// since the previous point of its series (the rules of docs/api.md):
//
//   - delta temporality: the point itself;
//   - cumulative: the difference to the previous point in range; a reset (a new start time, a
//     count going down, changed buckets) counts the point itself; the first point in range
//     counts itself only when its series started inside the range (start >= range start),
//     else it only opens the series, like the first point of a counter.
//
// A group's bucket merges those deltas; count/sum/avg/pNN read the merge, min/max the points'
// min/max, rate is observations per second. count in the result is the raw points.
func histogramGroups(runs []run, q *store.Query, meta model.MetricMeta) []store.Group {
	fold := func(b *hbucket, pts []model.Point, i int) {
		b.points++
		if d := store.HistObservations(pts, i, q.Start, meta); d != nil {
			b.acc.Add(d)
		}
	}
	value := func(b *hbucket, bucketMs int64) float64 { return store.HistValue(&b.acc, q, bucketMs) }
	count := func(b *hbucket) int64 { return b.points }
	return cellGroups(runs, q, fold, value, count)
}

type hbucket struct {
	acc    histogram.Acc
	points int64
}
