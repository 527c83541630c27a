// Package model holds the data types every part of Luminate shares: labels, samples, metric
// metadata, and the name rules of the API contract.
package model

import (
	"sort"
	"strings"
)

// Label is one dimension of a series, e.g. {customer_id, cust_123}.
type Label struct {
	Name  string
	Value string
}

// Labels is a dimension set sorted by name, without duplicate names.
type Labels []Label

// Sort orders labels by name; writers call it once before handing labels to a store.
func (ls Labels) Sort() {
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
}

// Get returns the value of name and whether it is present.
func (ls Labels) Get(name string) (string, bool) {
	for _, l := range ls {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}

// Map returns the labels as a map (for JSON responses).
func (ls Labels) Map() map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// Copy returns labels that share no memory with ls, so a caller may reuse its buffers.
func (ls Labels) Copy() Labels {
	out := make(Labels, len(ls))
	for i, l := range ls {
		out[i] = Label{Name: strings.Clone(l.Name), Value: strings.Clone(l.Value)}
	}
	return out
}

// CompareLabels orders label sets pair by pair (name, then value); a prefix sorts first. Every
// engine uses it to order points with equal timestamps.
func CompareLabels(a, b Labels) int {
	for i := range min(len(a), len(b)) {
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// FromMap builds sorted labels from a map.
func FromMap(m map[string]string) Labels {
	ls := make(Labels, 0, len(m))
	for k, v := range m {
		ls = append(ls, Label{Name: k, Value: v})
	}
	ls.Sort()
	return ls
}

// Sample is one point of a series: Unix milliseconds and a value.
type Sample struct {
	T int64
	V float64
}

// MetricType is what discovery reports as "type".
type MetricType uint8

const (
	TypeGauge MetricType = iota
	TypeCounter
	TypeUpDownCounter
	TypeHistogram
	TypeExpHistogram
	TypeSummary
)

var typeNames = [...]string{"gauge", "counter", "updowncounter", "histogram", "exphistogram", "summary"}

func (t MetricType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseMetricType is the inverse of String.
func ParseMetricType(s string) (MetricType, bool) {
	for i, n := range typeNames {
		if n == s {
			return MetricType(i), true
		}
	}
	return 0, false
}

// Temporality of a sum or histogram.
type Temporality uint8

const (
	TemporalityUnspecified Temporality = iota
	TemporalityCumulative
	TemporalityDelta
)

// MetricMeta is kept once per metric. JSON writes produce gauges with an empty unit: rate treats
// anything that is not a delta sum as a cumulative counter, as api.md says.
type MetricMeta struct {
	Type        MetricType
	Unit        string
	Temporality Temporality
	Monotonic   bool
}
