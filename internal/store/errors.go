package store

import (
	"fmt"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

// Rejection is one point a store refused (e.g. over a cardinality limit) while it kept the others.
type Rejection struct {
	Metric  string
	Labels  model.Labels
	T       int64
	Code    apierror.Code
	Message string
}

// RejectedError reports the rejected points of a write whose other points were committed. The
// exporter wraps it as a permanent error; the JSON receiver maps each rejection back to the item
// that produced it (by metric, labels and timestamp).
type RejectedError struct {
	Rejections []Rejection
}

func (e *RejectedError) Error() string {
	if len(e.Rejections) == 0 {
		return "no points rejected"
	}
	r := e.Rejections[0]
	return fmt.Sprintf("%d points rejected; first: metric %q: %s", len(e.Rejections), r.Metric, r.Message)
}
