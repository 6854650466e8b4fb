package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself registers as "sqlite"
)

// FerretDB 1.24 over SQLite pushes a filter of exactly {_id: value} down to SQL as
// `WHERE _ferretdb_sjson->'$._id' = ?`, but builds the collection's unique _id index on
// `_ferretdb_sjson->"_id"`. SQLite matches index expressions textually, so every lookup by _id
// reads the whole table: a point read costs as much as the collection is long.
//
// idIndexer adds, to every collection's table, an index on the very expression the pushed-down
// filter uses. It is a plain (non-unique) index: uniqueness stays with FerretDB's own _id index,
// and FerretDB never lists or drops it (dropping the collection drops the table and the index).
// New collections get theirs within one sweep interval; a lookup before that is only slower.
type idIndexer struct {
	dir    string
	logger *slog.Logger
	dbs    map[string]*sql.DB // per database file
}

func newIDIndexer(dir string, logger *slog.Logger) *idIndexer {
	return &idIndexer{dir: dir, logger: logger, dbs: map[string]*sql.DB{}}
}

const idIndexSuffix = "_gatehouse_id_lookup"

func (x *idIndexer) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	defer func() {
		for _, db := range x.dbs {
			_ = db.Close()
		}
	}()
	for {
		x.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (x *idIndexer) sweep(ctx context.Context) {
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return
	}
	for _, file := range files {
		db, ok := x.dbs[file]
		if !ok {
			// Same pragmas as FerretDB's pool: wait for its write locks rather than fail.
			db, err = sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
			if err != nil {
				continue
			}
			db.SetMaxOpenConns(1)
			x.dbs[file] = db
		}
		if err = x.indexTables(ctx, db); err != nil && ctx.Err() == nil {
			x.logger.Warn("id index sweep failed", "file", filepath.Base(file), "error", err.Error())
		}
	}
}

func (x *idIndexer) indexTables(ctx context.Context, db *sql.DB) error {
	// The metadata table appears with the first collection; until then there is nothing to do.
	rows, err := db.QueryContext(ctx, `
		SELECT m.table_name FROM _ferretdb_collections AS m
		WHERE NOT EXISTS (
			SELECT 1 FROM sqlite_master AS s
			WHERE s.type = 'index' AND s.name = m.table_name || ?)`, idIndexSuffix)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		return err
	}
	var tables []string
	for rows.Next() {
		var table string
		if err = rows.Scan(&table); err != nil {
			_ = rows.Close()
			return err
		}
		tables = append(tables, table)
	}
	if err = rows.Close(); err != nil {
		return err
	}
	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+idIndexSuffix, table)
		if _, err = db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "no such table") {
			return err
		}
	}
	return nil
}
