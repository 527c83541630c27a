// Package clickhouse ships Luminate's ClickHouse schema: the numbered migrations in this folder
// (NNNN_name.sql), embedded so the schema tool and the store apply exactly these files.
package clickhouse

import "embed"

// Migrations holds the *.sql files of this folder.
//
//go:embed *.sql
var Migrations embed.FS
