package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
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
	dir     string
	logger  *slog.Logger
	lastErr map[string]string // per file: a failure is logged once, not every sweep
}

func newIDIndexer(dir string, logger *slog.Logger) *idIndexer {
	return &idIndexer{dir: dir, logger: logger, lastErr: map[string]string{}}
}

const idIndexSuffix = "_gatehouse_id_lookup"

func (x *idIndexer) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		x.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Each sweep opens each database file, indexes what needs it, and closes it again. A connection
// kept open would outlive a dropDatabase (FerretDB closes its own and removes the file, not its
// WAL), keep that WAL alive, and hand it to a database created again under the same name.
func (x *idIndexer) sweep(ctx context.Context) {
	names, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return
	}
	for _, name := range names {
		err = x.indexFile(ctx, name)
		if ctx.Err() != nil {
			return
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != x.lastErr[name] {
			x.lastErr[name] = msg
			if msg != "" {
				x.logger.Warn("id index sweep failed", "file", filepath.Base(name), "error", msg)
			}
		}
	}
}

func (x *idIndexer) indexFile(ctx context.Context, name string) error {
	// mode=rw: a file dropped since the glob is not created again. The same busy timeout as
	// FerretDB's pool: wait for its write locks rather than fail.
	db, err := sql.Open("sqlite", "file:"+name+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	err = x.indexTables(ctx, db)
	if _, statErr := os.Stat(name); errors.Is(statErr, fs.ErrNotExist) {
		return nil // dropped meanwhile
	}
	return err
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
