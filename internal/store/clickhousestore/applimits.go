package clickhousestore

import (
	"context"

	"github.com/luminate-metrics/luminate/internal/limits"
)

// appLimits is what one write holds of the cardinality limits (limiter.go).
type appLimits struct {
	lim     *limits.Values // the tenant's limits, fetched at the first point
	fetched bool
	ts      *tenantSeries // nil when no cardinality limit applies to the tenant
	last    *appMetricLimits
	metrics map[string]*appMetricLimits
	// exact: this write is near a limit and checks every point's series
	exact bool
	// admitted are the series this write counted as new: released unless Commit stores them
	admitted []admitted
}

// appMetricLimits is one metric of the write: its count and the headroom the write reserved.
type appMetricLimits struct {
	mc             *metricCount
	left, reserved int64
}

// admit checks a point's series against the tenant's cardinality limits. It reports whether the
// point's series was counted as new (exact mode only).
func (a *appender) admit(metric string, sid uint64) (bool, error) {
	w := &a.lw
	if !w.fetched {
		w.fetched = true
		if w.lim = a.s.tenantLimits(a.tenant); limitedCardinality(w.lim) {
			w.ts = a.s.lim.tenant(a.tenant)
		}
	}
	if w.ts == nil {
		return false, nil
	}
	am, err := a.metricLimits(metric)
	if am == nil || err != nil {
		return false, err // am nil: the series table is unreadable, admitted unchecked (loadRetry)
	}
	if !w.exact {
		if am.left > 0 {
			am.left--
			return false, nil
		}
		if reserveChunk(w.ts, am.mc, w.lim) {
			am.left, am.reserved = limiterChunk-1, am.reserved+limiterChunk
			return false, nil
		}
		a.settle() // near a limit: count what was reserved, then check each point
	}
	isNew, err := admitExact(w.ts, w.lim, am.mc, sid)
	if isNew {
		w.admitted = append(w.admitted, admitted{mc: am.mc, sid: sid})
	}
	return isNew, err
}

// metricLimits returns the write's state of a metric, reading the tenant's series first when
// they never were or LimitsRefresh has passed. It is nil when they cannot be read.
func (a *appender) metricLimits(metric string) (*appMetricLimits, error) {
	w := &a.lw
	if w.last != nil && w.last.mc.name == metric {
		return w.last, nil
	}
	am := w.metrics[metric]
	if am == nil {
		if !a.s.fresh(context.Background(), w.ts) {
			return nil, nil
		}
		mc, err := a.s.admitMetric(w.ts, w.lim, metric)
		if err != nil {
			return nil, err
		}
		am = &appMetricLimits{mc: mc}
		if w.metrics == nil {
			w.metrics = map[string]*appMetricLimits{}
		}
		w.metrics[metric] = am
	}
	w.last = am
	return am, nil
}

// unadmit releases the series the last admit counted as new, for a point refused after all.
func (a *appender) unadmit(isNew bool) {
	if isNew {
		w := &a.lw
		last := w.admitted[len(w.admitted)-1]
		w.admitted = w.admitted[:len(w.admitted)-1]
		a.s.release(w.ts, []admitted{last})
	}
}

// settle counts the new series among the points appended so far and returns the headroom
// reserved for them; the write checks every point from now on.
func (a *appender) settle() {
	w := &a.lw
	for i := range a.pts {
		p := &a.pts[i]
		if am := w.metrics[a.metric[p.metric].ms.name]; am != nil && w.ts.add(am.mc, p.sid) {
			w.admitted = append(w.admitted, admitted{mc: am.mc, sid: p.sid})
		}
	}
	a.unreserveAll()
	w.exact = true
}

// countReserved counts, at Commit, the new series among those whose row this writer epoch has
// not stored (the series cache's fresh ones): every stored one was counted when its write
// committed. The reserved headroom then goes back.
func (a *appender) countReserved(fresh []newSeries) {
	w := &a.lw
	if w.ts == nil || w.exact {
		return
	}
	for i := range fresh {
		ns := &fresh[i]
		if am := w.metrics[a.metric[ns.metric].ms.name]; am != nil && w.ts.add(am.mc, ns.sid) {
			w.admitted = append(w.admitted, admitted{mc: am.mc, sid: ns.sid})
		}
	}
	a.unreserveAll()
}

func (a *appender) unreserveAll() {
	w := &a.lw
	for _, am := range w.metrics {
		unreserve(w.ts, am.mc, am.reserved)
		am.left, am.reserved = 0, 0
	}
}

// rollbackLimits releases what an uncommitted (or failed) write counted and reserved.
func (a *appender) rollbackLimits() {
	w := &a.lw
	if w.ts != nil {
		a.s.release(w.ts, w.admitted)
		a.unreserveAll()
	}
	*w = appLimits{}
}
