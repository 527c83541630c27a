package clickhousestore

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	chschema "github.com/luminate-metrics/luminate/deploy/clickhouse"
)

// Migration is one numbered file of deploy/clickhouse, e.g. 0001_core.sql.
type Migration struct {
	Version    int
	Name       string
	Checksum   string // sha256 of the file, recorded when applied
	statements []statement
}

type statement struct {
	sql      string // with {db} and {table} placeholders
	sharded  string // table name when the statement creates a sharded table
	shardKey string
	// addTable and addColumn are set for ALTER TABLE {db}.{table} ADD COLUMN column ...: 18.16
	// has no ADD COLUMN IF NOT EXISTS, so the tool skips the statement when the column exists.
	addTable, addColumn string
}

var (
	fileRe    = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)
	shardedRe = regexp.MustCompile(`^-- luminate:sharded ([a-z_]+) (.+)$`)
	alterRe   = regexp.MustCompile(`^ALTER TABLE \{db\}\.\{([a-z_]+)\} ADD COLUMN ([a-z_][a-z0-9_]*) [^,]+$`)
	tableRe   = regexp.MustCompile(`\{([a-z_]+)\}`)
)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(chschema.Migrations, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		m := fileRe.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("clickhouse schema: file %s is not named NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(chschema.Migrations, name)
		if err != nil {
			return nil, err
		}
		v, _ := strconv.Atoi(m[1])
		sum := sha256.Sum256(body)
		mig := Migration{Version: v, Name: m[2], Checksum: hex.EncodeToString(sum[:8])}
		if mig.statements, err = parseStatements(string(body)); err != nil {
			return nil, fmt.Errorf("clickhouse schema: %s: %w", name, err)
		}
		out = append(out, mig)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := range out {
		if out[i].Version != i+1 {
			return nil, fmt.Errorf("clickhouse schema: migration %d is missing (found %d)", i+1, out[i].Version)
		}
	}
	return out, nil
}

// parseStatements splits a file on ";" at line ends, keeping the sharded directive of each
// statement. Comments are dropped (18.16 accepts them, but the statements stay readable in logs).
func parseStatements(body string) ([]statement, error) {
	var out []statement
	var cur statement
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if m := shardedRe.FindStringSubmatch(trimmed); m != nil {
			cur.sharded, cur.shardKey = m[1], m[2]
			continue
		}
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			cur.sql = strings.TrimSuffix(strings.TrimSpace(b.String()), ";")
			if strings.HasPrefix(strings.ToUpper(cur.sql), "ALTER") {
				m := alterRe.FindStringSubmatch(strings.Join(strings.Fields(cur.sql), " "))
				if m == nil {
					return nil, fmt.Errorf("only `ALTER TABLE {db}.{table} ADD COLUMN name type ...` (one column) can be made idempotent on 18.16: %.80s", cur.sql)
				}
				cur.addTable, cur.addColumn = m[1], m[2]
			}
			out = append(out, cur)
			cur, b = statement{}, strings.Builder{}
		}
	}
	if strings.TrimSpace(b.String()) != "" {
		return nil, fmt.Errorf("statement without a closing ';': %.60s", b.String())
	}
	return out, sc.Err()
}

// render fills the placeholders for one server: table names get the _local suffix in cluster
// mode (the Distributed table takes the plain name).
func (s statement) render(db, cluster string) string {
	return tableRe.ReplaceAllStringFunc(s.sql, func(p string) string {
		name := p[1 : len(p)-1]
		if name == "db" {
			return db
		}
		return localName(name, cluster)
	})
}

func localName(table, cluster string) string {
	if cluster == "" {
		return table
	}
	return table + "_local"
}

// SchemaStatus is what `luminate-schema status` prints for one server.
type SchemaStatus struct {
	Server  string
	Applied []AppliedMigration
	Pending []Migration
}

// AppliedMigration is one row of schema_migrations.
type AppliedMigration struct {
	Version  int
	Name     string
	Checksum string
	Applied  string
}

// ApplySchema creates the database and applies every pending migration, on the configured server
// or, in cluster mode, on every server of the cluster (each keeps its own schema_migrations).
// It is idempotent: applied versions are skipped, and every statement is CREATE ... IF NOT
// EXISTS, so a run cut short is finished by the next one.
//
// Cluster DDL is sent to each server rather than with ON CLUSTER: on 18.16 ON CLUSTER needs
// ZooKeeper (distributed DDL queue), which a plain sharded setup does not have.
func ApplySchema(ctx context.Context, o Options) ([]SchemaStatus, error) {
	return eachSchemaServer(ctx, o, applyOn)
}

// Status reports applied and pending migrations on every server the schema lives on.
func Status(ctx context.Context, o Options) ([]SchemaStatus, error) {
	return eachSchemaServer(ctx, o, statusOn)
}

// eachSchemaServer validates o and runs fn with the embedded migrations on every server the
// schema lives on (schemaServers), in order, stopping at the first error.
func eachSchemaServer(ctx context.Context, o Options, fn func(context.Context, Options, string, []Migration) (SchemaStatus, error)) ([]SchemaStatus, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	migs, err := Migrations()
	if err != nil {
		return nil, err
	}
	servers, err := schemaServers(ctx, o)
	if err != nil {
		return nil, err
	}
	var out []SchemaStatus
	for _, addr := range servers {
		st, err := fn(ctx, o, addr, migs)
		if err != nil {
			return out, fmt.Errorf("clickhouse schema on %s: %w", addr, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func statusOn(ctx context.Context, o Options, addr string, migs []Migration) (SchemaStatus, error) {
	conn, err := dial(ctx, o, []string{addr}, "")
	if err != nil {
		return SchemaStatus{}, err
	}
	defer conn.Close()
	applied, err := appliedMigrations(ctx, conn, o.Database)
	if err != nil {
		return SchemaStatus{}, err
	}
	return SchemaStatus{Server: addr, Applied: applied, Pending: pending(migs, applied)}, nil
}

// schemaServers lists the servers to run DDL on: the first configured address alone, or every
// host of the cluster as system.clusters of that server lists it.
func schemaServers(ctx context.Context, o Options) ([]string, error) {
	if o.Cluster == "" {
		return o.Addrs[:1], nil
	}
	conn, err := dial(ctx, o, o.Addrs, "")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT host_address, port FROM system.clusters WHERE cluster = "+quote(o.Cluster)+" ORDER BY shard_num, replica_num")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var host string
		var port uint16
		if err := rows.Scan(&host, &port); err != nil {
			return nil, err
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("clickhouse: cluster %q is not in system.clusters of %s: add it to remote_servers (storage.clickhouse.cluster)", o.Cluster, o.Addrs[0])
	}
	return out, nil
}

func applyOn(ctx context.Context, o Options, addr string, migs []Migration) (SchemaStatus, error) {
	conn, err := dial(ctx, o, []string{addr}, "")
	if err != nil {
		return SchemaStatus{}, err
	}
	defer conn.Close()
	db := o.Database
	for _, ddl := range []string{
		"CREATE DATABASE IF NOT EXISTS " + db,
		// local on every server: each server records what it has applied
		"CREATE TABLE IF NOT EXISTS " + db + ".schema_migrations (version UInt32, name String, checksum String, applied DateTime) ENGINE = MergeTree() ORDER BY version",
	} {
		if err := conn.Exec(ctx, ddl); err != nil {
			return SchemaStatus{}, fmt.Errorf("%s: %w", firstLine(ddl), err)
		}
	}
	applied, err := appliedMigrations(ctx, conn, db)
	if err != nil {
		return SchemaStatus{}, err
	}
	sharded := shardedTables(migs)
	for _, m := range pending(migs, applied) {
		for _, st := range m.statements {
			if st.addColumn != "" {
				if err := addColumn(ctx, conn, db, o.Cluster, st, sharded[st.addTable]); err != nil {
					return SchemaStatus{}, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
				}
				continue
			}
			sql := st.render(db, o.Cluster)
			if err := conn.Exec(ctx, sql); err != nil {
				return SchemaStatus{}, fmt.Errorf("migration %04d_%s: %s: %w", m.Version, m.Name, firstLine(sql), err)
			}
			if st.sharded != "" && o.Cluster != "" {
				dist := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
					db, st.sharded, db, localName(st.sharded, o.Cluster), o.Cluster, db, localName(st.sharded, o.Cluster), st.shardKey)
				if err := conn.Exec(ctx, dist); err != nil {
					return SchemaStatus{}, fmt.Errorf("migration %04d_%s: %s: %w", m.Version, m.Name, firstLine(dist), err)
				}
			}
		}
		if err := insertRow(ctx, conn, db+".schema_migrations", "version, name, checksum, applied", uint32(m.Version), m.Name, m.Checksum, time.Now()); err != nil {
			return SchemaStatus{}, fmt.Errorf("record migration %d: %w", m.Version, err)
		}
	}
	if applied, err = appliedMigrations(ctx, conn, db); err != nil {
		return SchemaStatus{}, err
	}
	return SchemaStatus{Server: addr, Applied: applied, Pending: pending(migs, applied)}, nil
}

// shardedTables are the tables some migration creates as sharded (a Distributed table over
// <table>_local in cluster mode).
func shardedTables(migs []Migration) map[string]bool {
	out := map[string]bool{}
	for _, m := range migs {
		for _, st := range m.statements {
			if st.sharded != "" {
				out[st.sharded] = true
			}
		}
	}
	return out
}

// addColumn runs an ALTER TABLE ... ADD COLUMN unless the column exists. In cluster mode a
// sharded table is altered twice: <table>_local, then the Distributed table over it (a
// Distributed table has its own column list; created AS the local table, it must follow it).
func addColumn(ctx context.Context, conn driver.Conn, db, cluster string, st statement, sharded bool) error {
	targets := []struct{ table, sql string }{{localName(st.addTable, cluster), st.render(db, cluster)}}
	if cluster != "" && sharded {
		targets = append(targets, struct{ table, sql string }{st.addTable, st.render(db, "")})
	}
	for _, t := range targets {
		var n uint64
		q := "SELECT count() FROM system.columns WHERE database = " + quote(db) + " AND table = " + quote(t.table) + " AND name = " + quote(st.addColumn)
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("look up column %s.%s: %w", t.table, st.addColumn, err)
		}
		if n > 0 {
			continue
		}
		if err := conn.Exec(ctx, t.sql); err != nil {
			return fmt.Errorf("%s: %w", firstLine(t.sql), err)
		}
	}
	return nil
}

// appliedMigrations reads schema_migrations; a missing database or table means nothing applied.
func appliedMigrations(ctx context.Context, conn driver.Conn, db string) ([]AppliedMigration, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = "+quote(db)+" AND name = 'schema_migrations'").Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	rows, err := conn.Query(ctx, "SELECT version, any(name), any(checksum), toString(min(applied)) FROM "+db+".schema_migrations GROUP BY version ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AppliedMigration
	for rows.Next() {
		var a AppliedMigration
		var v uint32
		if err := rows.Scan(&v, &a.Name, &a.Checksum, &a.Applied); err != nil {
			return nil, err
		}
		a.Version = int(v)
		out = append(out, a)
	}
	return out, rows.Err()
}

func pending(migs []Migration, applied []AppliedMigration) []Migration {
	done := map[int]bool{}
	for _, a := range applied {
		done[a.Version] = true
	}
	var out []Migration
	for _, m := range migs {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out
}

// checkSchema fails when the server lacks a migration this binary needs.
func checkSchema(ctx context.Context, conn driver.Conn, o Options) error {
	migs, err := Migrations()
	if err != nil {
		return err
	}
	applied, err := appliedMigrations(ctx, conn, o.Database)
	if err != nil {
		return err
	}
	if p := pending(migs, applied); len(p) > 0 {
		return fmt.Errorf("clickhouse: database %s lacks schema migration %04d_%s (%d pending): run `luminate-schema apply` or set storage.clickhouse.apply_schema", o.Database, p[0].Version, p[0].Name, len(p))
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
