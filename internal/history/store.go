package history

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultPath is the history file the command uses when none is given.
const DefaultPath = "bpbench-history.db"

// SchemaVersion is the schema this package writes. A file at an older
// version is migrated by Open; a file at a newer one is refused.
const SchemaVersion = 2

// A migration brings a file from one version to the next: its statements,
// then fill (when not nil) for what SQL alone cannot compute.
type migration struct {
	stmts []string
	fill  func(ctx context.Context, tx *sql.Tx) error
}

// migrations[i] brings a file from version i to version i+1. Each step runs
// in one transaction together with the version it records. Statements are
// plain SQL (see the package doc for what PostgreSQL would change).
var migrations = []migration{
	{stmts: []string{ // 0 → 1
		`CREATE TABLE schema_version (version INTEGER NOT NULL)`,
		`INSERT INTO schema_version (version) VALUES (0)`,
		`CREATE TABLE machines (
			id INTEGER PRIMARY KEY,
			fingerprint TEXT NOT NULL UNIQUE,
			goos TEXT NOT NULL,
			goarch TEXT NOT NULL,
			cpu TEXT NOT NULL,
			cores INTEGER NOT NULL,
			kernel TEXT NOT NULL,
			cap_mechanism TEXT NOT NULL,
			memlimit BIGINT NOT NULL,
			hard_limit BIGINT NOT NULL
		)`,
		`CREATE TABLE result_sets (
			id INTEGER PRIMARY KEY,
			content_sha256 TEXT NOT NULL UNIQUE,
			commit_sha TEXT NOT NULL,
			commit_time BIGINT NOT NULL,
			branch TEXT NOT NULL,
			source TEXT NOT NULL,
			added_at BIGINT NOT NULL,
			runs INTEGER NOT NULL
		)`,
		`CREATE INDEX result_sets_order ON result_sets (commit_time, id)`,
		`CREATE TABLE benchmarks (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`,
		`CREATE TABLE units (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`,
		`CREATE TABLE runs (
			id INTEGER PRIMARY KEY,
			set_id INTEGER NOT NULL REFERENCES result_sets (id),
			benchmark_id INTEGER NOT NULL REFERENCES benchmarks (id),
			machine_id INTEGER NOT NULL REFERENCES machines (id),
			run_index INTEGER NOT NULL,
			rep INTEGER NOT NULL,
			outcome TEXT NOT NULL,
			wall_seconds DOUBLE PRECISION NOT NULL,
			time_to_oom_seconds DOUBLE PRECISION,
			note TEXT NOT NULL
		)`,
		`CREATE INDEX runs_series ON runs (machine_id, benchmark_id, set_id)`,
		`CREATE INDEX runs_set ON runs (set_id)`,
		`CREATE TABLE run_values (
			run_id INTEGER NOT NULL REFERENCES runs (id),
			unit_id INTEGER NOT NULL REFERENCES units (id),
			value DOUBLE PRECISION NOT NULL,
			PRIMARY KEY (run_id, unit_id)
		)`,
	}},
	// 1 → 2: a summary per result set and machine, so that reading series
	// does not go through every value row (see summary.go).
	{stmts: []string{
		`CREATE TABLE set_summaries (
			set_id INTEGER NOT NULL REFERENCES result_sets (id),
			machine_id INTEGER NOT NULL REFERENCES machines (id),
			summary BLOB NOT NULL,
			PRIMARY KEY (set_id, machine_id)
		)`,
	}, fill: fillSummaries},
}

// History is an open history file. Its methods may be called from several
// goroutines; writes are serialized by the database.
type History struct {
	db   *sql.DB
	path string
}

// SchemaTooNewError is returned by Open for a file written by a newer
// bpbench. The file is left as it was.
type SchemaTooNewError struct {
	Path      string
	Version   int // the file's schema version
	Supported int // the newest this bpbench knows (SchemaVersion)
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("history %s has schema version %d, newer than this bpbench reads (%d): use the bpbench that wrote it or a newer one, or give another history file; the file was not changed", e.Path, e.Version, e.Supported)
}

// NotHistoryError is returned by Open for a path that holds something other
// than a bpbench history: not a database, a damaged one, or another
// program's. The file is left as it was.
type NotHistoryError struct {
	Path   string
	Reason string // what was found, e.g. "not an SQLite database"
}

func (e *NotHistoryError) Error() string {
	return fmt.Sprintf("%s is not a bpbench history (%s): give the path of a history file, or a path that does not exist yet to start one; the file was not changed", e.Path, e.Reason)
}

// sqliteHeader starts every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// Open opens the history file at path, creating it (and a fresh schema)
// when nothing is there, and migrating an older schema forward. It refuses
// a newer schema (*SchemaTooNewError) and anything that is not a bpbench
// history (*NotHistoryError), changing nothing in either case.
func Open(ctx context.Context, path string) (*History, error) {
	if path == "" {
		return nil, errors.New("no history file given")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("history path %q contains ? or #: give a path without them", path)
	}
	created := false
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		created = true
	case err != nil:
		return nil, fmt.Errorf("cannot open history %s: %w", path, err)
	case fi.IsDir():
		return nil, &NotHistoryError{path, "a folder"}
	case !fi.Mode().IsRegular():
		return nil, &NotHistoryError{path, "not a regular file"}
	default:
		if reason := checkHeader(path); reason != "" {
			return nil, &NotHistoryError{path, reason}
		}
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("cannot open history %s: %w", path, err)
	}
	// One connection: SQLite serializes writers anyway, and one connection
	// keeps a transaction and the statements around it on the same file
	// handle.
	db.SetMaxOpenConns(1)
	h := &History{db: db, path: path}
	if err := h.prepare(ctx); err != nil {
		db.Close()
		if created {
			os.Remove(path)
			os.Remove(path + "-journal")
		}
		return nil, err
	}
	return h, nil
}

// checkHeader returns why the existing file at path is not an SQLite
// database, or "".
func checkHeader(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var head [len(sqliteHeader)]byte
	n, err := io.ReadFull(f, head[:])
	switch {
	case n == 0:
		return "an empty file"
	case err != nil || !bytes.Equal(head[:], []byte(sqliteHeader)):
		return "not an SQLite database"
	}
	return ""
}

// prepare checks the schema and brings it to SchemaVersion.
func (h *History) prepare(ctx context.Context) error {
	version, err := h.version(ctx)
	if err != nil {
		return err
	}
	if version > SchemaVersion {
		return &SchemaTooNewError{Path: h.path, Version: version, Supported: SchemaVersion}
	}
	for v := version; v < SchemaVersion; v++ {
		if err := h.migrate(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// version reads the file's schema version: 0 for a database with no tables.
func (h *History) version(ctx context.Context) (int, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return 0, h.openError(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, h.openError(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		return 0, h.openError(err)
	}
	if err := rows.Err(); err != nil {
		return 0, h.openError(err)
	}
	if len(tables) == 0 {
		return 0, nil
	}
	var version int
	err = h.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0, &NotHistoryError{h.path, "a database of another program: its tables are " + strings.Join(tables, ", ")}
		}
		return 0, h.openError(err)
	}
	return version, nil
}

// openError turns the driver's complaint about a damaged or foreign file
// into a NotHistoryError.
func (h *History) openError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return &NotHistoryError{h.path, "not an SQLite database"}
		case sqlite3.SQLITE_CORRUPT:
			return &NotHistoryError{h.path, "a damaged database: " + err.Error()}
		}
	}
	return fmt.Errorf("cannot read history %s: %w", h.path, err)
}

// migrate runs the step from version v to v+1 in one transaction.
func (h *History) migrate(ctx context.Context, v int) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot update history %s: %w", h.path, err)
	}
	defer tx.Rollback()
	m := migrations[v]
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("cannot update history %s to schema version %d: %w", h.path, v+1, err)
		}
	}
	if m.fill != nil {
		if err := m.fill(ctx, tx); err != nil {
			return fmt.Errorf("cannot update history %s to schema version %d: %w", h.path, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v+1); err != nil {
		return fmt.Errorf("cannot update history %s: %w", h.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot update history %s: %w", h.path, err)
	}
	return nil
}

// Path is the file the history was opened from.
func (h *History) Path() string { return h.path }

// Close closes the file.
func (h *History) Close() error { return h.db.Close() }
