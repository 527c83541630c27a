package clickhousestore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/luminate-metrics/luminate/internal/store"
)

// Store is the ClickHouse engine. It keeps no state that another process needs: any number of
// ingest and query processes may share one database.
type Store struct {
	o    Options
	conn driver.Conn
	t    tables
	com  *committer
	now  func() time.Time

	msMu     sync.RWMutex
	states   map[tenantMetric]*metricState
	pending  map[tenantMetric]*dropVerdict // metrics a drop is deciding on (forget.go)
	detached map[tenantMetric]*metricState // their states, given back when they stay

	polMu  sync.Mutex
	polVer int64 // the last retention policy version written (admin.go)

	noteMu sync.Mutex
	notes  notices // deletion notices seen (deletions.go)

	stop     chan struct{} // closed by Close: ends the background loops
	stopOnce sync.Once
	loops    sync.WaitGroup

	cache atomic.Pointer[seriesCache] // the current writer epoch

	limitsF atomic.Pointer[store.LimitsFunc] // cardinality limits (limiter.go)
	lim     limiter

	exactScans       atomic.Int64 // queries that needed the full duplicate scan (tests, diagnostics)
	exactCardinality atomic.Int64 // MetricCardinality calls that found duplicate series rows (tests)
}

// currentCache returns the writer epoch new commits use, starting a new one when the current one
// holds SeriesCacheSize series.
func (s *Store) currentCache() *seriesCache {
	c := s.cache.Load()
	if !c.full() {
		return c
	}
	n := newSeriesCache(s.o.SeriesCacheSize)
	if s.cache.CompareAndSwap(c, n) {
		s.o.Logger.Info("clickhouse: series cache full, starting a new writer epoch", zap.Int("series", s.o.SeriesCacheSize))
		return n
	}
	return s.cache.Load()
}

// tables are the qualified names a query uses. In cluster mode the plain names are Distributed
// tables; local names are for subqueries that run on each shard next to the co-sharded rows
// (samples and series share the sharding key series_id, so a series' row and its samples live
// on the same shard).
type tables struct {
	samples, series, metrics, slotMaps, histograms, rewrites string
	retention, deletions                                     string
	samplesLocal, seriesLocal, rewritesLocal                 string
	cluster                                                  bool
}

func newTables(db, cluster string) tables {
	return tables{
		samples: db + ".samples", series: db + ".series", metrics: db + ".metrics", slotMaps: db + ".slot_maps",
		histograms: db + ".histograms", rewrites: db + ".rewrites",
		retention: db + ".retention_policies", deletions: db + ".deletions",
		samplesLocal: db + "." + localName("samples", cluster), seriesLocal: db + "." + localName("series", cluster),
		rewritesLocal: db + "." + localName("rewrites", cluster),
		cluster:       cluster != "",
	}
}

var _ store.Store = (*Store)(nil)

// Open connects, applies or checks the schema, and starts the group-commit inserters.
func Open(ctx context.Context, o Options) (*Store, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.ApplySchema {
		if _, err := ApplySchema(ctx, o); err != nil {
			return nil, err
		}
	}
	conn, err := dialStore(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(ctx, conn, o); err != nil {
		conn.Close()
		return nil, err
	}
	s := &Store{o: o, conn: conn, t: newTables(o.Database, o.Cluster), now: time.Now, states: map[tenantMetric]*metricState{},
		pending: map[tenantMetric]*dropVerdict{}, detached: map[tenantMetric]*metricState{}, stop: make(chan struct{})}
	s.cache.Store(newSeriesCache(o.SeriesCacheSize))
	s.notes = notices{newest: s.now().UnixMilli(), seen: map[deletionKey]bool{}}
	if err := s.pollDeletions(ctx, false); err != nil {
		conn.Close()
		return nil, err
	}
	s.com = newCommitter(s)
	s.startLoops()
	return s, nil
}

// startLoops starts the background retention and the deletion notices (negative intervals:
// off).
func (s *Store) startLoops() {
	if s.o.RetentionInterval > 0 {
		s.loops.Add(1)
		go s.retentionLoop(min(time.Minute, s.o.RetentionInterval), s.o.RetentionInterval)
	}
	if s.o.DeletionPollInterval > 0 {
		s.loops.Add(1)
		go s.deletionLoop(s.o.DeletionPollInterval)
	}
}

// dialStore connects without a default database: every statement names db.table, and a missing
// database is then reported by checkSchema with what to run.
func dialStore(ctx context.Context, o Options) (driver.Conn, error) {
	return dial(ctx, o, o.Addrs, "")
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Close implements store.Store: buffered commits are sent before the connections close.
func (s *Store) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.loops.Wait()
	s.com.close()
	return s.conn.Close()
}
