package clickhousestore

import (
	"context"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

var gaugeMeta = model.MetricMeta{Type: model.TypeGauge}

func labelsOf(kv ...string) model.Labels {
	var ls model.Labels
	for i := 0; i < len(kv); i += 2 {
		ls = append(ls, model.Label{Name: kv[i], Value: kv[i+1]})
	}
	ls.Sort()
	return ls
}

// TestSchemaApplyTwice applies the migrations twice: the second run applies nothing and the
// recorded versions stay the same.
func TestSchemaApplyTwice(t *testing.T) {
	srv := chtest.Start(t)
	o := Options{Addrs: []string{srv.Addr}, Database: chtest.Database(t)}
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	st, err := Status(context.Background(), o)
	if err != nil || len(st) != 1 || len(st[0].Applied) != 0 || len(st[0].Pending) != len(migs) {
		t.Fatalf("status before apply: %+v %v", st, err)
	}
	for run := range 2 {
		st, err := ApplySchema(context.Background(), o)
		if err != nil {
			t.Fatalf("apply run %d: %v", run+1, err)
		}
		if len(st[0].Applied) != len(migs) || len(st[0].Pending) != 0 {
			t.Fatalf("apply run %d: %d applied, %d pending; want %d, 0", run+1, len(st[0].Applied), len(st[0].Pending), len(migs))
		}
		for i, a := range st[0].Applied {
			if a.Version != migs[i].Version || a.Checksum != migs[i].Checksum {
				t.Errorf("run %d: applied %+v, want version %d checksum %s", run+1, a, migs[i].Version, migs[i].Checksum)
			}
		}
	}
	// no duplicate rows in schema_migrations after two runs
	conn, err := dial(context.Background(), o.WithDefaults(), o.Addrs, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+o.Database+".schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int(n) != len(migs) {
		t.Errorf("schema_migrations has %d rows after two runs, want %d", n, len(migs))
	}
}
