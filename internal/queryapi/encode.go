package queryapi

import (
	"strconv"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// AppendResponse appends the JSON response of api.md for the result of q:
//
//	{"queryType": "aggregate", "results": [...], "executionTimeMs": 12, "seriesScanned": 40,
//	 "pointsScanned": 1200}
//
// The items of results depend on the query (api.md "Query types and result shapes"):
//
//	aggregate               {"groupKey": {"customer_id": "c1"}, "value": 145.5, "count": 30}
//	aggregate/range+interval {"groupKey": {...}, "points": [{"timestamp": T, "value": x, "count": n}]}
//	range                   {"timestamp": T, "value": x, "dimensions": {...}}
//	rate                    {"timestamp": T, "rate": r}
//	rate+groupBy            {"groupKey": {...}, "points": [{"timestamp": T, "rate": r}]}
//
// results is [] (never null) when nothing matched.
func AppendResponse(dst []byte, q *store.Query, res *store.Result, elapsed time.Duration) []byte {
	dst = append(dst, `{"queryType":`...)
	dst = appendString(dst, q.Kind.String())
	dst = append(dst, `,"results":[`...)
	switch {
	case q.Kind == store.KindRate && len(q.GroupBy) == 0:
		dst = appendFlatRate(dst, res.Groups)
	case q.Kind == store.KindRate:
		dst = appendGroups(dst, q.GroupBy, res.Groups, appendRatePoint)
	case q.Kind == store.KindRange && q.Interval == 0:
		dst = appendRawPoints(dst, res.Points)
	case q.Interval > 0:
		dst = appendGroups(dst, q.GroupBy, res.Groups, appendValuePoint)
	default:
		dst = appendAggregates(dst, q.GroupBy, res.Groups)
	}
	dst = append(dst, `],"executionTimeMs":`...)
	dst = strconv.AppendInt(dst, elapsed.Milliseconds(), 10)
	dst = append(dst, `,"seriesScanned":`...)
	dst = strconv.AppendInt(dst, res.SeriesScanned, 10)
	dst = append(dst, `,"pointsScanned":`...)
	dst = strconv.AppendInt(dst, res.PointsScanned, 10)
	return append(dst, '}')
}

// appendFlatRate writes the buckets of a rate query without groupBy as one flat list. The store
// returns a single group with an empty key then; should it return several, their buckets are
// concatenated in order rather than dropped.
func appendFlatRate(dst []byte, gs []store.Group) []byte {
	first := true
	for i := range gs {
		for _, b := range gs[i].Buckets {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendRatePoint(dst, b)
		}
	}
	return dst
}

func appendAggregates(dst []byte, groupBy []string, gs []store.Group) []byte {
	for i := range gs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"groupKey":`...)
		dst = appendGroupKey(dst, groupBy, gs[i].Key)
		dst = append(dst, `,"value":`...)
		dst = appendFloat(dst, gs[i].Value)
		dst = append(dst, `,"count":`...)
		dst = strconv.AppendInt(dst, gs[i].Count, 10)
		dst = append(dst, '}')
	}
	return dst
}

func appendGroups(dst []byte, groupBy []string, gs []store.Group, point func([]byte, store.Bucket) []byte) []byte {
	for i := range gs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"groupKey":`...)
		dst = appendGroupKey(dst, groupBy, gs[i].Key)
		dst = append(dst, `,"points":[`...)
		for j, b := range gs[i].Buckets {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = point(dst, b)
		}
		dst = append(dst, "]}"...)
	}
	return dst
}

func appendValuePoint(dst []byte, b store.Bucket) []byte {
	dst = append(dst, `{"timestamp":`...)
	dst = appendTime(dst, b.T)
	dst = append(dst, `,"value":`...)
	dst = appendFloat(dst, b.Value)
	dst = append(dst, `,"count":`...)
	dst = strconv.AppendInt(dst, b.Count, 10)
	return append(dst, '}')
}

func appendRatePoint(dst []byte, b store.Bucket) []byte {
	dst = append(dst, `{"timestamp":`...)
	dst = appendTime(dst, b.T)
	dst = append(dst, `,"rate":`...)
	dst = appendFloat(dst, b.Value)
	return append(dst, '}')
}

func appendRawPoints(dst []byte, ps []store.RawPoint) []byte {
	for i := range ps {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"timestamp":`...)
		dst = appendTime(dst, ps[i].T)
		dst = append(dst, `,"value":`...)
		dst = appendFloat(dst, ps[i].V)
		dst = append(dst, `,"dimensions":`...)
		dst = appendLabels(dst, ps[i].Labels)
		dst = append(dst, '}')
	}
	return dst
}

// appendGroupKey writes {"groupBy[i]": key[i], ...} in groupBy order. A key shorter than
// groupBy (a store bug) renders the missing values as "", the value of an absent dimension.
func appendGroupKey(dst []byte, groupBy, key []string) []byte {
	dst = append(dst, '{')
	for i, k := range groupBy {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		v := ""
		if i < len(key) {
			v = key[i]
		}
		dst = appendString(dst, v)
	}
	return append(dst, '}')
}

func appendLabels(dst []byte, ls model.Labels) []byte {
	dst = append(dst, '{')
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
