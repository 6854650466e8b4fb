// Command test-db serves a MongoDB-wire-compatible test database: FerretDB
// embedded over SQLite. Debian ships no MongoDB and mongodb-memory-server
// cannot download its binary here, so tests and `npm start` use this instead.
//
// Usage: test-db --addr 127.0.0.1:27017 --dir /tmp/test-db-data
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "data directory (created if missing)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	// Belt and braces: the embedded package already disables telemetry,
	// but nothing here may ever phone home.
	_ = os.Setenv("DO_NOT_TRACK", "1")
	_ = os.Setenv("FERRETDB_TELEMETRY", "disable")

	if *dir == "" {
		fail("--dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fail(err.Error())
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		fail(err.Error())
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("--log-level: " + err.Error())
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		fail(err.Error())
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "test-db: listening on %s, data in %s\n", *addr, abs)
	if err = f.Run(ctx); err != nil {
		fail(err.Error())
	}
	fmt.Fprintln(os.Stderr, "test-db: stopped")
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "test-db: "+msg)
	os.Exit(1)
}
