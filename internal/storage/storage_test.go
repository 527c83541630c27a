package storage

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string // "" = valid
	}{
		{"default badger", Default(), ""},
		{"badger without dir", Config{Engine: EngineBadger}, "storage.badger.dir"},
		{"no engine", Config{}, "badger or clickhouse"},
		{"unknown engine", Config{Engine: "postgres"}, `"postgres" is not known`},
		{"clickhouse", Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{"127.0.0.1:9000"}}}, ""},
		{"clickhouse without addrs", Config{Engine: EngineClickHouse}, "storage.clickhouse.addrs"},
		{"clickhouse bad database", Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{"h:9000"}, Database: "a-b"}}, "storage.clickhouse.database"},
		{"clickhouse bad cluster", Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{"h:9000"}, Cluster: "x y"}}, "storage.clickhouse.cluster"},
		{"clickhouse batch over buffer", Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{"h:9000"}, BatchSize: 10, MaxBufferedPoints: 5}}, "max_buffered_points"},
		{"clickhouse negative batch", Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{"h:9000"}, BatchSize: -1}}, "must not be negative"},
		{"clickhouse 4 hot keys", Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{"h:9000"}, HotDimensions: map[string][]string{"m": {"a", "b", "c", "d"}}}}, "hot_dimensions"},
	} {
		err := c.cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}

// TestOpenClickHouse opens the engine through the config against a real server, writes and reads.
func TestOpenClickHouse(t *testing.T) {
	srv := chtest.Start(t)
	cfg := Config{Engine: EngineClickHouse, ClickHouse: ClickHouseConfig{Addrs: []string{srv.Addr}, Database: chtest.Database(t), ApplySchema: true}}
	st, err := Open(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := st.Appender("t1")
	if err := a.Append("cpu", model.MetricMeta{}, model.Labels{{Name: "host", Value: "a"}}, 1_800_000_000_000, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := st.Query(context.Background(), &store.Query{Tenant: "t1", Metric: "cpu", Kind: store.KindAggregate, Start: 1_800_000_000_000, End: 1_800_000_000_000})
	if err != nil || len(r.Groups) != 1 || r.Groups[0].Value != 0.5 {
		t.Fatalf("query: %+v %v", r, err)
	}
	cfg.ClickHouse.ApplySchema = false
	cfg.ClickHouse.Database = chtest.Database(t)
	if _, err := Open(cfg, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "luminate-schema apply") {
		t.Errorf("open without schema: %v, want an error telling to run luminate-schema apply", err)
	}
}
