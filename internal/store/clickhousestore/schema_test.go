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

// TestSchemaRerunAfterCutShort forgets every applied migration (as if each run had been cut
// short after its DDL but before recording it) and applies again: CREATE ... IF NOT EXISTS and
// the ADD COLUMN statements (skipped when the column exists, 18.16 has no IF NOT EXISTS for
// them) must all succeed.
func TestSchemaRerunAfterCutShort(t *testing.T) {
	srv := chtest.Start(t)
	o := Options{Addrs: []string{srv.Addr}, Database: chtest.Database(t)}
	if _, err := ApplySchema(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	conn, err := dial(context.Background(), o.WithDefaults(), o.Addrs, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Exec(context.Background(), "DROP TABLE "+o.Database+".schema_migrations"); err != nil {
		t.Fatal(err)
	}
	st, err := ApplySchema(context.Background(), o)
	if err != nil {
		t.Fatalf("second apply after a cut-short run: %v", err)
	}
	if len(st[0].Pending) != 0 {
		t.Errorf("pending after re-apply: %v", st[0].Pending)
	}
	var cols []string
	if err := conn.QueryRow(context.Background(), "SELECT groupArray(name) FROM system.columns WHERE database = "+quote(o.Database)+" AND table = 'samples'").Scan(&cols); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"start_ms", "writer"} {
		if !containsStr(cols, c) {
			t.Errorf("samples lacks column %s: %v", c, cols)
		}
	}
}

// TestMigrationParse refuses ALTER statements that cannot be made idempotent.
func TestMigrationParse(t *testing.T) {
	if _, err := parseStatements("ALTER TABLE {db}.{samples} ADD COLUMN a Int64, ADD COLUMN b Int64;\n"); err == nil {
		t.Error("two columns in one ALTER accepted")
	}
	if _, err := parseStatements("ALTER TABLE {db}.{samples} DROP COLUMN a;\n"); err == nil {
		t.Error("DROP COLUMN accepted")
	}
	st, err := parseStatements("ALTER TABLE {db}.{samples}\n    ADD COLUMN start_ms Int64 DEFAULT 0 AFTER ts_ms;\n")
	if err != nil || len(st) != 1 || st[0].addTable != "samples" || st[0].addColumn != "start_ms" {
		t.Errorf("parse: %+v %v", st, err)
	}
}
