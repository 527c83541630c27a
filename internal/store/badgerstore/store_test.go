package badgerstore

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSemantics(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

// compacting wraps the engine so that every commit is followed by a merge of every chunk-hour:
// the suite then checks the merged layout answers exactly like the written one.
type compacting struct{ *Store }

type compactingAppender struct {
	store.Appender
	s *Store
}

func (c compacting) Appender(tenant string) store.Appender {
	return compactingAppender{Appender: c.Store.Appender(tenant), s: c.Store}
}

// AppendPoint keeps the OTLP shapes (start times, histograms) in the compacted suite.
func (a compactingAppender) AppendPoint(metric string, meta model.MetricMeta, ls model.Labels, p model.Point) error {
	return a.Appender.(store.PointAppender).AppendPoint(metric, meta, ls, p)
}

func (a compactingAppender) Commit(ctx context.Context) error {
	if err := a.Appender.Commit(ctx); err != nil {
		return err
	}
	_, err := a.s.CompactAll()
	return err
}

func TestSemanticsCompacted(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return compacting{openTemp(t)} })
}

// TestReopenKeepsEverything writes random data, closes, reopens (rebuilding the index from the
// records), compacts what the restart found, and compares the answers with the reference.
func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, NoBackgroundCompaction: true})
	if err != nil {
		t.Fatal(err)
	}
	ref := memstore.New()
	storetest.RandomData(t, 7, s, ref)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: dir, NoBackgroundCompaction: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.CompactAll(); err != nil || n == 0 {
		t.Fatalf("compacting after reopen: %d merged, %v", n, err)
	}
	st := s.CompactionStats()
	if st.BytesOut >= st.BytesIn {
		t.Errorf("merging %d blocks grew them from %d to %d bytes", st.BlocksIn, st.BytesIn, st.BytesOut)
	}
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 200 {
		q := storetest.RandomQuery(r)
		want, werr := ref.Query(context.Background(), q)
		got, gerr := s.Query(context.Background(), q)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("query %d: reference %v, engine %v", i, werr, gerr)
		}
		if werr == nil {
			if d := storetest.Diff(got, want); d != "" {
				t.Fatalf("query %d after reopen: %s", i, d)
			}
		}
	}
}
