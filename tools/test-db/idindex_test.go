package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// The lookup FerretDB 1.24 sends to SQLite for a filter of exactly {_id: "..."}.
const pushedDownLookup = `SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`

func TestIDLookupsUseAnIndex(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	logger := slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = f.Run(ctx); close(served) }()
	defer func() { cancel(); <-served }()
	go newIDIndexer(dir, logger).run(ctx, 50*time.Millisecond)

	client, err := mongo.Connect(ctx, options.Client().ApplyURI(f.MongoDBURI()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	coll := client.Database("lookups").Collection("docs")
	docs := make([]any, 500)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("doc-%d", i)}, {Key: "n", Value: i}}
	}
	if _, err = coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	expectIndexedLookup(ctx, t, dir)
	// FerretDB's behaviour is unchanged: the lookup answers, _id stays unique, and the extra
	// index is not one of the collection's indexes.
	var got bson.M
	if err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: "doc-321"}}).Decode(&got); err != nil || got["n"] != int32(321) {
		t.Fatalf("findOne by _id: %v %v", got, err)
	}
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "doc-7"}})
	var write mongo.WriteException
	if !errors.As(err, &write) || !write.HasErrorCode(11000) {
		t.Fatalf("a duplicate _id was not refused with E11000: %v", err)
	}
	specs, err := coll.Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Name != "_id_" {
		t.Fatalf("listIndexes shows more than _id_: %v", specs)
	}

	// A database dropped and created again is a new file under the same name: indexed too.
	if err = client.Database("lookups").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err = coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	expectIndexedLookup(ctx, t, dir)
}

// Waits until SQLite's plan for the lookup on lookups.docs uses the sweep's index. EXPLAIN reads
// no table, so a connection never notices a schema change through it: each check opens its own.
// (FerretDB's queries read the table, and re-plan when the schema moves.)
func expectIndexedLookup(ctx context.Context, t *testing.T, dir string) {
	t.Helper()
	file := "file:" + filepath.Join(dir, "lookups.sqlite")
	var plan, table string
	for deadline := time.Now().Add(10 * time.Second); ; {
		table, plan = lookupPlan(ctx, t, file)
		if strings.Contains(plan, "USING INDEX "+table+idIndexSuffix) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the _id lookup on %s still reads the whole table; plan: %s", table, plan)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lookupPlan(ctx context.Context, t *testing.T, file string) (table, plan string) {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err = db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = 'docs'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+fmt.Sprintf(pushedDownLookup, table), `"doc-1"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err = rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	return table, strings.Join(details, "; ")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func schema(ctx context.Context, t *testing.T, db *sql.DB) string {
	rows, err := db.QueryContext(ctx, `SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err = rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
