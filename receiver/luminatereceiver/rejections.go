package luminatereceiver

import (
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// applyRejections maps the points a store refused back to the request's items, by metric,
// labels and timestamp, and returns the response's errors (the decoder's plus one per refused
// item, in index order) and the number of items refused. Every item with the refused key is
// refused: duplicates in one request are one point to the store.
//
// When no item has exactly the rejection's labels (an exporter may add or drop dimensions,
// e.g. resource attributes), an item with the same metric and timestamp whose labels are a
// subset or superset of the rejection's is taken. A rejection that still matches nothing is
// logged: it cannot be attributed to an index.
func applyRejections(b *writeapi.Batch, rejs []store.Rejection, log *zap.Logger) ([]writeapi.ItemError, int) {
	index := make(map[string][]int, len(b.Items))
	var kb []byte
	for i := range b.Items {
		kb = appendKey(kb[:0], b.Items[i].Name, b.Items[i].T, b.Items[i].Labels)
		index[string(kb)] = append(index[string(kb)], i)
	}

	errs := slices.Clone(b.Errors)
	refused := make([]bool, len(b.Items))
	n, unmatched := 0, 0
	var firstUnmatched store.Rejection
	for _, rj := range rejs {
		ls := slices.Clone(rj.Labels)
		ls.Sort()
		kb = appendKey(kb[:0], rj.Metric, rj.T, ls)
		matches := index[string(kb)]
		if len(matches) == 0 {
			matches = looseMatches(b.Items, rj.Metric, rj.T, ls)
		}
		if len(matches) == 0 {
			if unmatched == 0 {
				firstUnmatched = rj
			}
			unmatched++
			continue
		}
		for _, i := range matches {
			if refused[i] {
				continue
			}
			refused[i] = true
			n++
			errs = append(errs, rejectionError(b.Items[i], rj))
		}
	}
	if unmatched > 0 {
		logRejectionMismatch(log, unmatched, firstUnmatched)
	}
	slices.SortFunc(errs, func(a, b writeapi.ItemError) int { return a.Index - b.Index })
	return errs, n
}

func rejectionError(it writeapi.Item, rj store.Rejection) writeapi.ItemError {
	code, msg := rj.Code, rj.Message
	if code == "" {
		code = apierror.StorageError
	}
	if msg == "" {
		msg = "the store refused this point"
	}
	return writeapi.ItemError{Index: it.Index, Metric: it.Name, Code: code, Error: msg}
}

// appendKey renders (metric, t, sorted labels) unambiguously: names and keys cannot contain
// 0xff, and values are length-prefixed.
func appendKey(dst []byte, metric string, t int64, ls model.Labels) []byte {
	dst = append(dst, metric...)
	dst = append(dst, 0xff)
	dst = strconv.AppendInt(dst, t, 10)
	for _, l := range ls {
		dst = append(dst, 0xff)
		dst = append(dst, l.Name...)
		dst = append(dst, 0xff)
		dst = strconv.AppendInt(dst, int64(len(l.Value)), 10)
		dst = append(dst, ':')
		dst = append(dst, l.Value...)
	}
	return dst
}

// looseMatches returns the items with metric and t whose labels contain, or are contained in,
// ls (both sorted).
func looseMatches(items []writeapi.Item, metric string, t int64, ls model.Labels) []int {
	var out []int
	for i := range items {
		it := &items[i]
		if it.T != t || it.Name != metric {
			continue
		}
		if subset(it.Labels, ls) || subset(ls, it.Labels) {
			out = append(out, i)
		}
	}
	return out
}

// subset reports whether every label of a (sorted) is in b (sorted).
func subset(a, b model.Labels) bool {
	j := 0
	for _, l := range a {
		for j < len(b) && strings.Compare(b[j].Name, l.Name) < 0 {
			j++
		}
		if j == len(b) || b[j] != l {
			return false
		}
		j++
	}
	return true
}

// logRejectionMismatch reports rejections that match no item of the request.
func logRejectionMismatch(log *zap.Logger, unmatched int, first store.Rejection) {
	log.Warn("store rejected points that match no item of the write request; they are reported as accepted",
		zap.Int("unmatched", unmatched), zap.String("metric", first.Metric), zap.Int64("t", first.T),
		zap.String("code", string(first.Code)))
}
