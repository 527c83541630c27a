package clickhousestore

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// mutation is "delete the rows of table (plain name) matching where".
type mutation struct {
	table, where string
}

// server is one server that mutations run on.
type server struct {
	addr string
	conn driver.Conn
	own  bool // dialed for this call
}

// mutationWait bounds one mutate call, mostly waiting for the server to finish mutations (the
// caller's context may end first). The mutations keep running on the server past it.
const mutationWait = 30 * time.Minute

// mutate runs each mutation on every server: per server and table a count() of the matching
// rows by (tenant, metric) first, the ALTER TABLE ... DELETE only where some row matches (a
// mutation rewrites parts: it is the expensive part), then it waits until every mutation
// issued is done. It returns, per table, the metrics that had matching rows.
func (s *Store) mutate(ctx context.Context, jobs []mutation) (map[string]map[tenantMetric]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, mutationWait)
	defer cancel()
	servers, err := s.servers(ctx)
	if err != nil {
		return nil, err
	}
	defer closeServers(servers)
	touched := map[string]map[tenantMetric]bool{}
	type issued struct {
		sv    server
		table string
	}
	var wait []issued
	for _, j := range jobs {
		for _, sv := range servers {
			local := s.o.Database + "." + localName(j.table, s.o.Cluster)
			// every process runs retention: a mutation another one issued first is waited
			// for, so the count below no longer sees its rows and none is issued twice
			if err := s.waitMutations(ctx, sv, localName(j.table, s.o.Cluster)); err != nil {
				return touched, err
			}
			ks, rows, err := matching(ctx, sv.conn, local, j.where)
			if err != nil {
				return touched, fmt.Errorf("clickhouse: count rows to delete in %s on %s: %w", local, sv.addr, err)
			}
			if rows == 0 {
				continue
			}
			if touched[j.table] == nil {
				touched[j.table] = map[tenantMetric]bool{}
			}
			for _, k := range ks {
				touched[j.table][k] = true
			}
			if err := sv.conn.Exec(ctx, "ALTER TABLE "+local+" DELETE WHERE "+j.where); err != nil {
				return touched, fmt.Errorf("clickhouse: delete %d rows of %d metrics from %s on %s: %w", rows, len(ks), local, sv.addr, err)
			}
			wait = append(wait, issued{sv, localName(j.table, s.o.Cluster)})
		}
	}
	for _, w := range wait {
		if err := s.waitMutations(ctx, w.sv, w.table); err != nil {
			return touched, err
		}
	}
	return touched, nil
}

// matching counts the rows of table matching where, per (tenant, metric).
func matching(ctx context.Context, conn driver.Conn, table, where string) ([]tenantMetric, uint64, error) {
	rows, err := conn.Query(ctx, "SELECT tenant, metric, count() FROM "+table+" WHERE "+where+" GROUP BY tenant, metric")
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var ks []tenantMetric
	var total uint64
	for rows.Next() {
		var k tenantMetric
		var n uint64
		if err := rows.Scan(&k.tenant, &k.metric, &n); err != nil {
			return nil, 0, err
		}
		ks = append(ks, k)
		total += n
	}
	return ks, total, rows.Err()
}

// waitMutations polls system.mutations of the server until no mutation of table is left
// undone. 18.16 has no mutations_sync, and a mutation applies to the parts that existed when it
// was issued, so once it is done no row it matched is left.
func (s *Store) waitMutations(ctx context.Context, sv server, table string) error {
	q := "SELECT count() FROM system.mutations WHERE database = " + quote(s.o.Database) + " AND table = " + quote(table) + " AND is_done = 0"
	start := time.Now()
	backoff := 20 * time.Millisecond
	for {
		var n uint64
		if err := sv.conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("clickhouse: wait for the deletes in %s on %s: %w", table, sv.addr, err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clickhouse: %d mutations of %s on %s not done after %s (they go on in the server): %w",
				n, table, sv.addr, time.Since(start).Round(time.Millisecond), ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// servers are the servers holding the tables' rows: this store's connection on a single
// server; every host of the cluster otherwise (ALTER cannot go through a Distributed table).
func (s *Store) servers(ctx context.Context) ([]server, error) {
	if !s.t.cluster {
		return []server{{addr: s.o.Addrs[0], conn: s.conn}}, nil
	}
	addrs, err := schemaServers(ctx, s.o)
	if err != nil {
		return nil, err
	}
	out := make([]server, 0, len(addrs))
	for _, a := range addrs {
		conn, err := dial(ctx, s.o, []string{a}, "")
		if err != nil {
			closeServers(out)
			return nil, fmt.Errorf("clickhouse: deletes need every server of cluster %s: %w", s.o.Cluster, err)
		}
		out = append(out, server{addr: a, conn: conn, own: true})
	}
	return out, nil
}

func closeServers(ss []server) {
	for _, sv := range ss {
		if sv.own {
			sv.conn.Close()
		}
	}
}
