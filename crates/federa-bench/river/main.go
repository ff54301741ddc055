// Runs `jobs` no-op jobs through River on the database named by the first
// argument (`postgres://…`, or `sqlite:PATH`): `producers` goroutines insert
// them one per transaction (as Federa takes one order per request) while one
// client works them with `workers` at once. Prints one JSON line:
// {"jobs": n, "seconds": s}, timed from the first insert to the last
// completion.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	done  *atomic.Int64
	total int64
	all   chan struct{}
}

func (w *noopWorker) Work(ctx context.Context, job *river.Job[noopArgs]) error {
	if w.done.Add(1) == w.total {
		close(w.all)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 6 {
		return fmt.Errorf("usage: river-bench URL JOBS WORKERS PRODUCERS LIMIT_SECONDS")
	}
	url := os.Args[1]
	total, _ := strconv.ParseInt(os.Args[2], 10, 64)
	workers, _ := strconv.Atoi(os.Args[3])
	producers, _ := strconv.Atoi(os.Args[4])
	limitSeconds, _ := strconv.Atoi(os.Args[5])
	ctx := context.Background()

	done := &atomic.Int64{}
	worker := &noopWorker{done: done, total: total, all: make(chan struct{})}
	registry := river.NewWorkers()
	river.AddWorker(registry, worker)
	config := &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers: registry,
		Logger:  nil,
		// A fetch takes at most as many jobs as there are free workers, and
		// fetches are at least this far apart: at the default (100 ms) eight
		// workers could not pass 80 jobs/s. The least River allows.
		FetchCooldown: river.FetchCooldownMin,
	}

	var insert func() error
	var client interface {
		Start(context.Context) error
		Stop(context.Context) error
	}
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		// One writer at a time, as SQLite allows; WAL as Federa uses.
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)")
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		driver := riversqlite.New(db)
		if err := migrate(ctx, driver); err != nil {
			return err
		}
		// Without LISTEN/NOTIFY River polls; every 5 ms when idle.
		config.PollOnly = true
		config.FetchPollInterval = 5 * time.Millisecond
		sqliteClient, err := river.NewClient(driver, config)
		if err != nil {
			return err
		}
		client = sqliteClient
		insert = func() error {
			_, err := sqliteClient.Insert(ctx, noopArgs{}, nil)
			return err
		}
	} else {
		poolConfig, err := pgxpool.ParseConfig(url)
		if err != nil {
			return err
		}
		// A connection for each producer and worker, and for River's own
		// listener, leader election and completer: the default (four on
		// two cores) would make them queue for connections.
		poolConfig.MaxConns = int32(workers + producers + 4)
		pool, err := pgxpool.NewWithConfig(ctx, poolConfig)
		if err != nil {
			return err
		}
		driver := riverpgxv5.New(pool)
		if err := migrate(ctx, driver); err != nil {
			return err
		}
		pgClient, err := river.NewClient(driver, config)
		if err != nil {
			return err
		}
		client = pgClient
		insert = func() error {
			_, err := pgClient.Insert(ctx, noopArgs{}, nil)
			return err
		}
	}
	if err := client.Start(ctx); err != nil {
		return err
	}

	started := time.Now()
	next := &atomic.Int64{}
	failed := make(chan error, producers)
	for p := 0; p < producers; p++ {
		go func() {
			for next.Add(1) <= total {
				if err := insert(); err != nil {
					failed <- err
					return
				}
			}
		}()
	}
	select {
	case <-worker.all:
	case err := <-failed:
		return err
	case <-time.After(time.Duration(limitSeconds) * time.Second):
	}
	seconds := time.Since(started).Seconds()
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = client.Stop(stopCtx)
	out, _ := json.Marshal(map[string]any{"jobs": done.Load(), "seconds": seconds})
	fmt.Println(string(out))
	return nil
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
