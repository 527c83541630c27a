// Command luminate-schema applies and reports Luminate's ClickHouse schema (the migrations of
// deploy/clickhouse, embedded in the binary).
//
//	luminate-schema [flags] apply    create the database and apply pending migrations (idempotent)
//	luminate-schema [flags] status   list applied and pending migrations per server
//
// Flags (and environment defaults): -addr (CLICKHOUSE_ADDR, 127.0.0.1:9000; comma-separated),
// -database (CLICKHOUSE_DATABASE, luminate), -user (CLICKHOUSE_USER, default), -password
// (CLICKHOUSE_PASSWORD), -cluster (CLICKHOUSE_CLUSTER: local tables on every server of that
// remote_servers cluster plus Distributed tables).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/luminate-metrics/luminate/internal/store/clickhousestore"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("luminate-schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("CLICKHOUSE_ADDR", "127.0.0.1:9000"), "ClickHouse native address(es), comma-separated")
	db := fs.String("database", env("CLICKHOUSE_DATABASE", clickhousestore.DefaultDatabase), "database")
	user := fs.String("user", env("CLICKHOUSE_USER", "default"), "user")
	password := fs.String("password", os.Getenv("CLICKHOUSE_PASSWORD"), "password (default $CLICKHOUSE_PASSWORD)")
	cluster := fs.String("cluster", os.Getenv("CLICKHOUSE_CLUSTER"), "cluster name from remote_servers (empty: single server)")
	timeout := fs.Duration("timeout", 2*time.Minute, "overall timeout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: luminate-schema [flags] apply|status")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "apply" && fs.Arg(0) != "status") {
		fs.Usage()
		return 2
	}
	o := clickhousestore.Options{Addrs: strings.Split(*addr, ","), Database: *db, Username: *user, Password: *password, Cluster: *cluster}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var st []clickhousestore.SchemaStatus
	var err error
	if fs.Arg(0) == "apply" {
		st, err = clickhousestore.ApplySchema(ctx, o)
	} else {
		st, err = clickhousestore.Status(ctx, o)
	}
	for _, s := range st {
		fmt.Fprintf(stdout, "server %s, database %s\n", s.Server, *db)
		for _, a := range s.Applied {
			fmt.Fprintf(stdout, "  applied  %04d_%s  checksum %s  at %s\n", a.Version, a.Name, a.Checksum, a.Applied)
		}
		for _, p := range s.Pending {
			fmt.Fprintf(stdout, "  pending  %04d_%s  checksum %s\n", p.Version, p.Name, p.Checksum)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "luminate-schema:", err)
		return 1
	}
	return 0
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
