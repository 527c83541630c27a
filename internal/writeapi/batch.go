package writeapi

import (
	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

// Item is one accepted metric of a write request.
//
// Name, label names and label values are ordinary Go strings that share no memory with the
// request body or the decoder, so a store may keep them. The Labels slices of one Batch share a
// backing array: copy a Labels slice (model.Labels.Copy or append) before keeping it beyond the
// request.
type Item struct {
	Index  int          // position in the request's "metrics" array
	Name   string       // valid metric name
	T      int64        // Unix milliseconds, inside the accepted window
	V      float64      // finite
	Labels model.Labels // sorted by name, unique names, at most model.MaxLabels
}

// ItemError is one refused item, in the shape of the write response's "errors" array.
type ItemError struct {
	Index  int           `json:"index"`
	Metric string        `json:"metric"`
	Code   apierror.Code `json:"code"`
	Error  string        `json:"error"`
}

// Batch is a decoded write request. Items and Errors are both in request order; together they
// cover every index of the request's "metrics" array exactly once.
type Batch struct {
	Items  []Item
	Errors []ItemError
	// Total is the number of items in the request (len(Items) + len(Errors)).
	Total int
}
