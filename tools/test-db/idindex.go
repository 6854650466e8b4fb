package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
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
	files  map[string]*sweptFile
}

// One database file and the connection the sweep keeps to it. A database that is dropped and
// created again is a new file under the same name: the sweep notices and reconnects, so it
// neither misses the new file nor keeps the deleted one open.
type sweptFile struct {
	db      *sql.DB
	info    os.FileInfo
	lastErr string // logged once, not every sweep
}

func newIDIndexer(dir string, logger *slog.Logger) *idIndexer {
	return &idIndexer{dir: dir, logger: logger, files: map[string]*sweptFile{}}
}

const idIndexSuffix = "_gatehouse_id_lookup"

func (x *idIndexer) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	defer func() {
		for _, f := range x.files {
			_ = f.db.Close()
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
	names, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return
	}
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		seen[name] = true
		info, err := os.Stat(name)
		if err != nil {
			continue
		}
		f := x.files[name]
		if f != nil && !os.SameFile(f.info, info) {
			_ = f.db.Close()
			f = nil
		}
		if f == nil {
			// Same busy timeout as FerretDB's pool: wait for its write locks rather than fail.
			db, err := sql.Open("sqlite", "file:"+name+"?_pragma=busy_timeout(10000)")
			if err != nil {
				continue
			}
			db.SetMaxOpenConns(1)
			f = &sweptFile{db: db, info: info}
			x.files[name] = f
		}
		err = x.indexTables(ctx, f.db)
		if ctx.Err() != nil {
			return
		}
		if msg := errorText(err); msg != f.lastErr {
			f.lastErr = msg
			if msg != "" {
				x.logger.Warn("id index sweep failed", "file", filepath.Base(name), "error", msg)
			}
		}
	}
	for name, f := range x.files {
		if !seen[name] {
			_ = f.db.Close()
			delete(x.files, name)
		}
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
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
