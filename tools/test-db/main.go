// Command test-db serves a MongoDB-wire-compatible test database: FerretDB
// embedded over SQLite. Debian ships no MongoDB and mongodb-memory-server
// cannot download its binary here, so tests and `npm start` use this instead.
//
// Usage: test-db --addr 127.0.0.1:27017 --dir /tmp/test-db-data
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "data directory (created if missing)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	// WAL with synchronous=NORMAL: a commit survives the process being killed, not a power
	// cut, and costs no fsync. FULL is the durable choice (one fsync per commit).
	sync := flag.String("sync", "normal", "SQLite synchronous mode: normal or full")
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

	// A test database on a machine with memory to spare: collect garbage a quarter as often
	// (the heap may grow to 5x the live data instead of 2x), so that less of each command's CPU
	// goes to the collector. GOGC, when set, still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	if *sync != "normal" && *sync != "full" {
		fail("--sync: want normal or full, got " + *sync)
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("--log-level: " + err.Error())
	}
	// JSON lines, like every other part of the suite.
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(" + *sync + ")",
	})
	if err != nil {
		fail(err.Error())
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	go newIDIndexer(abs, logger).run(ctx, 250*time.Millisecond)

	announce("listening", "addr", *addr, "dir", abs)
	if err = f.Run(ctx); err != nil {
		fail(err.Error())
	}
	announce("stopped")
}

// announce writes a lifecycle line whatever the log level, so a supervisor always sees it.
func announce(msg string, args ...any) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Info(msg, append([]any{"service", "test-db"}, args...)...)
}

func fail(msg string) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error(msg, "service", "test-db")
	os.Exit(1)
}
