package luminateexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/store"
)

// maxWarnedNames bounds the set of metric names already warned about, so a sender that puts
// ids into histogram names cannot grow it without limit.
const maxWarnedNames = 10_000

type luminateExporter struct {
	cfg    *Config
	log    *zap.Logger
	filter keyFilter
	tel    *telemetry
	self   *selfmetrics.Metrics // set in start when self_metrics.extension is set
	store  store.Store          // set in start
	pool   sync.Pool            // *converter

	warned      sync.Map // metric name -> struct{}: unsupported types are logged once per name
	nWarned     atomic.Int64
	warnCapOnce sync.Once
}

func newExporter(cfg *Config, set exporter.Settings) (*luminateExporter, error) {
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &luminateExporter{cfg: cfg, log: set.Logger, filter: newKeyFilter(cfg.Dimensions), tel: tel}
	e.pool.New = func() any { return newConverter(e) }
	return e, nil
}

// start finds the store. Extensions start before pipelines, so the query server has opened it.
func (e *luminateExporter) start(_ context.Context, host component.Host) error {
	sp, err := extlink.Find[extlink.StoreProvider](host, e.cfg.Store)
	if err != nil {
		// Find names the wanted type as <nil> (an interface's zero value), so say it here.
		return fmt.Errorf("luminate exporter: store %q must name an extension that provides the store (extlink.StoreProvider, e.g. luminatequery): %w", e.cfg.Store, err)
	}
	st := sp.Store()
	if st == nil {
		return fmt.Errorf("luminate exporter: extension %q has no open store (did it fail to start?)", e.cfg.Store)
	}
	e.store = st
	if id := e.cfg.SelfMetrics.Extension; id != nil {
		lp, err := extlink.Find[extlink.LimitsProvider](host, *id)
		if err != nil {
			return fmt.Errorf("luminate exporter: self_metrics: %w", err)
		}
		e.self = lp.SelfMetrics()
	}
	return nil
}

// push is exporterhelper's ConsumeMetricsFunc: convert, commit each tenant's appender, then
// classify. Refused points never make the push retryable (retrying cannot make them valid and
// would only amplify load); a failed commit always does. Counters are recorded only for a
// final outcome, so a retried push does not count its dropped points twice.
func (e *luminateExporter) push(ctx context.Context, md pmetric.Metrics) error {
	c := e.pool.Get().(*converter)
	defer func() {
		c.reset()
		e.pool.Put(c)
	}()
	c.convert(md, e.requestTenant(ctx))
	start := time.Now()
	stored, err := c.commit(ctx)
	e.self.StorageWrite(time.Since(start))
	if err != nil {
		e.tel.record(ctx, stored, &[numReasons]int64{})
		e.recordSelf(stored, &[numReasons]int64{})
		return err
	}
	e.tel.record(ctx, stored, &c.dropped)
	e.recordSelf(stored, &c.dropped)
	return c.outcome()
}

// recordSelf adds one push's final outcome to the self-metrics, with the exporter's reasons.
func (e *luminateExporter) recordSelf(stored int64, dropped *[numReasons]int64) {
	if e.self == nil {
		return
	}
	path := e.cfg.SelfMetrics.Path
	e.self.PointsAccepted(path, stored)
	for r, n := range dropped {
		e.self.PointsRejected(path, reason(r).String(), n)
	}
}

// commit commits every tenant's appender and returns the number of points made durable. A
// retry after a partial failure re-appends the committed points too; the stores keep one point
// per series and timestamp, so that is idempotent.
func (c *converter) commit(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		var n int64
		for i := range c.tenants {
			c.tenants[i].app.Rollback()
			n += c.tenants[i].appended
		}
		return 0, fmt.Errorf("luminate exporter: %d points not committed: %w", n, err)
	}
	var stored int64
	var errs []error
	for i := range c.tenants {
		tb := &c.tenants[i]
		if tb.appended == 0 {
			tb.app.Rollback()
			continue
		}
		if err := tb.app.Commit(ctx); err != nil {
			errs = append(errs, fmt.Errorf("commit of %d points for tenant %q: %w", tb.appended, tb.tenant, err))
			continue
		}
		stored += tb.appended
	}
	if len(errs) > 0 {
		return stored, fmt.Errorf("luminate exporter: %w", errors.Join(errs...))
	}
	return stored, nil
}

// outcome is the push's error after a successful commit: nil, or a permanent error holding the
// tenant refusals and a *store.RejectedError with every refused point (the JSON receiver maps
// those back to request items).
func (c *converter) outcome() error {
	var errs []error
	for r, f := range c.refusals {
		if f.resources > 0 {
			errs = append(errs, fmt.Errorf("%s: %d points of %d resources refused; first: %s", reason(r), f.points, f.resources, f.first))
		}
	}
	if len(c.rejections) > 0 {
		errs = append(errs, &store.RejectedError{Rejections: c.rejections})
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return consumererror.NewPermanent(errs[0])
	}
	return consumererror.NewPermanent(errors.Join(errs...))
}

// warnUnsupported logs one line per metric name of a type that is not stored yet.
func (e *luminateExporter) warnUnsupported(name, typ string) {
	if _, ok := e.warned.Load(name); ok {
		return
	}
	if e.nWarned.Load() >= maxWarnedNames {
		e.warnCapOnce.Do(func() {
			e.log.Warn("More metric names of unsupported types than the exporter remembers; not logging further names",
				zap.Int("names", maxWarnedNames))
		})
		return
	}
	if _, loaded := e.warned.LoadOrStore(name, struct{}{}); loaded {
		return
	}
	e.nWarned.Add(1)
	e.log.Warn("The storage engine cannot store this metric type: its data points are dropped (luminate_exporter_points_dropped{reason=\"unsupported_type\"}); use an engine that stores histograms",
		zap.String("metric", name), zap.String("type", typ))
}
