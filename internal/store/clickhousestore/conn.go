package clickhousestore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// dial opens a native-protocol connection pool to addrs (tried in order) and pings it. database
// may be "" to connect before the database exists.
func dial(ctx context.Context, o Options, addrs []string, database string) (driver.Conn, error) {
	settings := clickhouse.Settings{}
	if o.Cluster != "" {
		// an INSERT into a Distributed table returns only when every shard has its rows;
		// asynchronous forwarding would acknowledge points that a crash could still lose
		settings["insert_distributed_sync"] = 1
	}
	var comp *clickhouse.Compression
	if o.Compression != "none" {
		comp = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Settings:     settings,
		Addr:         addrs,
		Auth:         clickhouse.Auth{Database: database, Username: o.Username, Password: o.Password},
		DialTimeout:  o.DialTimeout,
		MaxOpenConns: o.Inserters + 8,
		MaxIdleConns: o.Inserters + 4,
		Compression:  comp,
		// 18.16 sends no progress for long scans: without a read timeout a dead server would
		// hang a query forever; the query context still bounds it first.
		ReadTimeout: 5 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %s: %w", strings.Join(addrs, ","), err)
	}
	pctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse: ping %s (dial timeout %s, storage.clickhouse.dial_timeout): %w", strings.Join(addrs, ","), o.DialTimeout, err)
	}
	return conn, nil
}

// insertRow inserts one row through the batch protocol. 18.16 does not finish an
// `INSERT ... VALUES` sent as a plain query over the native protocol (it waits for data
// blocks), so every INSERT, however small, goes through PrepareBatch.
func insertRow(ctx context.Context, conn driver.Conn, table, columns string, values ...any) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return err
	}
	if err := b.Append(values...); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

// chContext attaches per-query settings.
func chContext(ctx context.Context, settings map[string]any) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings(settings)))
}

type settingsKey struct{}

// withSettings adds per-query settings to those ctx already carries (clickhouse.WithSettings
// replaces the whole set, so the set is also kept under settingsKey).
func withSettings(ctx context.Context, extra map[string]any) context.Context {
	base, _ := ctx.Value(settingsKey{}).(clickhouse.Settings)
	merged := make(clickhouse.Settings, len(base)+len(extra))
	for k, v := range base {
		merged[k] = v
	}
	for k, v := range extra {
		merged[k] = v
	}
	return clickhouse.Context(context.WithValue(ctx, settingsKey{}, merged), clickhouse.WithSettings(merged))
}
