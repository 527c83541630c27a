// Package limits declares every per-tenant limit of Luminate once, with its config key, API name,
// default and help text (as Grafana Mimir does), and holds the state that enforces the rate
// limits: one set of token buckets, concurrency slots and rate meters per tenant (Guard).
//
// Configuration (the `limits:` block of the luminatelimits extension and of luminate-query):
//
//	limits:
//	  points_per_second: 1000000        # defaults for every tenant
//	  max_series_per_tenant: 2000000
//	  overrides:                        # per tenant; unset keys keep the default
//	    acme:
//	      max_series_per_tenant: 5000000
//	      retention_days: 30
//
// A value of 0 means "no limit" (for retention_days: keep data forever). Errors a client sees
// carry a stable id and name the setting that raises the limit, e.g.
// "per-tenant series limit of 1000000 exceeded (err-luminate-max-series-per-tenant); raise
// limits.max_series_per_tenant".
package limits

import (
	"fmt"
	"math"
	"strings"
)

// ID names one per-tenant limit.
type ID uint8

// The limits. The order is the order of docs, config listings and GET /api/v1/limits.
const (
	WriteRequestsPerSecond ID = iota
	PointsPerSecond
	QueryRequestsPerSecond
	MaxConcurrentQueries
	MaxSeriesPerTenant
	MaxSeriesPerMetric
	MaxMetricsPerTenant
	RetentionDays
	NumIDs
)

// Def declares one limit. Defs is the single place a limit's name, default and help live.
type Def struct {
	// Key is the config key under `limits:` and under `limits.overrides.<tenant>`.
	Key string
	// JSON is the field name in GET /api/v1/limits.
	JSON string
	// Default applies to every tenant without an override; 0 means no limit.
	Default float64
	// Integer limits take whole numbers only.
	Integer bool
	// Max is the largest value accepted in the config.
	Max float64
	// What names the limit in error messages ("per-tenant series limit").
	What string
	// Unit follows the value in messages ("points/s"); empty for counts.
	Unit string
	// Help is the one-line description of docs and `luminate validate` errors.
	Help string
}

// maxCount bounds count limits: float64 holds integers exactly up to 2^53.
const maxCount = 1 << 53

// Defs are the limits. The defaults are generous: `make bench` (8 clients, 5,000-point
// requests, ~400,000 points/s into one tenant, 200,000 series) is not throttled by them, and a
// single Badger node tops out well below points_per_second, so by default the limits only stop
// runaway clients; operators lower them per tenant.
var Defs = [NumIDs]Def{
	WriteRequestsPerSecond: {
		Key: "write_requests_per_second", JSON: "writeRequestsPerSecond", Default: 1000, Max: 1e9,
		What: "per-tenant write request rate", Unit: "requests/s",
		Help: "Write requests per second per tenant (JSON writes and OTLP export calls), token bucket with burst 2x.",
	},
	PointsPerSecond: {
		Key: "points_per_second", JSON: "pointsPerSecond", Default: 1_000_000, Max: 1e12,
		What: "per-tenant ingestion rate", Unit: "points/s",
		Help: "Data points written per second per tenant (JSON and OTLP), token bucket with burst 2x.",
	},
	QueryRequestsPerSecond: {
		Key: "query_requests_per_second", JSON: "queryRequestsPerSecond", Default: 100, Max: 1e9,
		What: "per-tenant query rate", Unit: "requests/s",
		Help: "Read requests per second per tenant (query, discovery, cardinality), token bucket with burst 2x.",
	},
	MaxConcurrentQueries: {
		Key: "max_concurrent_queries", JSON: "maxConcurrentQueries", Default: 16, Integer: true, Max: 1e6,
		What: "per-tenant concurrent query limit", Unit: "queries",
		Help: "Queries (POST /api/v1/query, GET /api/v1/cardinality) of one tenant running at the same time.",
	},
	MaxSeriesPerTenant: {
		Key: "max_series_per_tenant", JSON: "maxSeriesPerTenant", Default: 2_000_000, Integer: true, Max: maxCount,
		What: "per-tenant series limit",
		Help: "Series a tenant may have, over all its metrics (exact count from the series index).",
	},
	MaxSeriesPerMetric: {
		Key: "max_series_per_metric", JSON: "maxSeriesPerMetric", Default: 1_000_000, Integer: true, Max: maxCount,
		What: "per-metric series limit",
		Help: "Series one metric of a tenant may have (exact count from the series index).",
	},
	MaxMetricsPerTenant: {
		Key: "max_metrics_per_tenant", JSON: "maxMetricsPerTenant", Default: 10_000, Integer: true, Max: maxCount,
		What: "per-tenant metric limit",
		Help: "Metric names a tenant may have.",
	},
	RetentionDays: {
		Key: "retention_days", JSON: "retentionDays", Default: 0, Integer: true, Max: MaxRetentionDays,
		What: "default retention",
		Help: "Days of data kept for metrics without a retention policy (POST /api/v1/admin/retention); 0 keeps data forever.",
	},
}

// MaxRetentionDays is the largest retention (api.md: retentionDays 1..3650).
const MaxRetentionDays = 3650

// Def returns the declaration of id.
func (id ID) Def() Def { return Defs[id] }

// Key is the config key, e.g. "max_series_per_tenant".
func (id ID) Key() string { return Defs[id].Key }

// Setting is the key with its block, as messages name it: "limits.max_series_per_tenant".
func (id ID) Setting() string { return "limits." + Defs[id].Key }

// ErrorID is the stable id of errors about this limit: "err-luminate-max-series-per-tenant".
func (id ID) ErrorID() string { return "err-luminate-" + strings.ReplaceAll(Defs[id].Key, "_", "-") }

func (id ID) String() string { return id.Key() }

// ByKey finds a limit by its config key.
func ByKey(key string) (ID, bool) {
	for id := range NumIDs {
		if Defs[id].Key == key {
			return id, true
		}
	}
	return 0, false
}

// Values are one tenant's effective limits, indexed by ID; 0 means no limit.
type Values [NumIDs]float64

// Defaults returns the declared defaults.
func Defaults() Values {
	var v Values
	for id := range NumIDs {
		v[id] = Defs[id].Default
	}
	return v
}

// Get returns the value of id (0: no limit).
func (v *Values) Get(id ID) float64 { return v[id] }

// Int returns the value of an integer limit (0: no limit).
func (v *Values) Int(id ID) int64 { return int64(v[id]) }

// check reports why x is not an acceptable value of id.
func check(id ID, x float64) error {
	d := Defs[id]
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Errorf("%s must be a finite number", d.Key)
	case x < 0:
		return fmt.Errorf("%s is %v; it must not be negative (0 means no limit)", d.Key, x)
	case d.Integer && x != math.Trunc(x):
		return fmt.Errorf("%s is %v; it must be a whole number", d.Key, x)
	case x > d.Max:
		return fmt.Errorf("%s is %v; the largest accepted value is %v", d.Key, x, d.Max)
	}
	return nil
}

// ExceededMessage is the message of an error about id: the limit, its stable id, and the
// settings that raise it (the default and the tenant's override):
//
//	per-tenant series limit of 1000000 exceeded (err-luminate-max-series-per-tenant); raise limits.max_series_per_tenant (for this tenant: limits.overrides.acme.max_series_per_tenant)
func ExceededMessage(id ID, limit float64, tenant string) string {
	d := Defs[id]
	val := formatValue(limit)
	if d.Unit != "" {
		val += " " + d.Unit
	}
	return fmt.Sprintf("%s of %s exceeded (%s); raise %s (for this tenant: limits.overrides.%s.%s)",
		d.What, val, id.ErrorID(), id.Setting(), tenant, d.Key)
}

func formatValue(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < maxCount {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%g", x)
}
