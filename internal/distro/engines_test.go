package distro_test

import (
	"testing"

	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// engine is a storage engine an end-to-end test runs on: config overrides (confmap URIs) on top
// of configs/luminate.yaml.
type engine struct {
	name   string
	config func(t *testing.T) []string
}

// engines are Badger (the shipped config as is) and ClickHouse (a fresh database on the test
// server; the test skips loudly without clickhouse-server, and fails when CI=true).
func engines() []engine {
	return []engine{
		{"badger", func(*testing.T) []string { return nil }},
		{"clickhouse", func(t *testing.T) []string {
			srv := chtest.Start(t)
			return []string{
				"yaml:extensions::luminatestore::engine: clickhouse",
				"yaml:extensions::luminatestore::clickhouse::addrs: [" + srv.Addr + "]",
				"yaml:extensions::luminatestore::clickhouse::database: " + chtest.Database(t),
				"yaml:extensions::luminatestore::clickhouse::apply_schema: true",
				"yaml:extensions::luminatestore::clickhouse::flush_interval: 5ms",
			}
		}},
	}
}

// TestMain stops the shared ClickHouse server of the tests when they end.
func TestMain(m *testing.M) { chtest.Main(m) }
