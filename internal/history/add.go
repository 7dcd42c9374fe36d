package history

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// Machine is what a series' figures depend on besides the code: the
// hardware and kernel, and the cap the runs were measured under. Series
// are compared only within one fingerprint.
type Machine struct {
	GOOS, GOARCH string
	CPU          string // the CPU model, as results.txt's cpu: line
	Cores        int    // 0 when unknown
	Kernel       string // e.g. "6.1.0-18-amd64"; "" when unknown
	CapMechanism string // "cgroup2", "cgroup1", "watchdog"; "" when unknown
	MemLimit     int64  // GOMEMLIMIT of the child, bytes; 0 for none
	HardLimit    int64  // the hard cap, bytes; 0 for none
}

// Fingerprint identifies the machine and cap: the first 16 hex digits of a
// SHA-256 over every field. Two machines share it only when every field is
// equal.
func (m Machine) Fingerprint() string {
	sum := sha256.Sum256([]byte(strings.Join([]string{
		m.GOOS, m.GOARCH, m.CPU, strconv.Itoa(m.Cores), m.Kernel, m.CapMechanism,
		strconv.FormatInt(m.MemLimit, 10), strconv.FormatInt(m.HardLimit, 10),
	}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// Meta is what Add records about a result set besides its runs. The zero
// value takes everything the runs record and the time of the call.
type Meta struct {
	// Commit overrides the runs' commit (results.Run.Commit); Add refuses a
	// set with neither.
	Commit string
	// CommitTime orders the series; zero means the time of the Add call.
	CommitTime time.Time
	Branch     string
	// Source says where the set came from (an output folder's path, a CI
	// run's URL); it is kept, not interpreted.
	Source string
	// Machine fills in what the runs do not record: Cores, Kernel and
	// CapMechanism always come from here; GOOS, GOARCH and CPU only when a
	// run has none. MemLimit and HardLimit always come from the run.
	Machine Machine
}

// Added describes a result set that Add stored.
type Added struct {
	ID      int64  // the set's id in the history
	SHA256  string // the content fingerprint of its runs
	Commit  string
	Runs    int // runs stored
	Skipped int // runs not stored: interrupted, or measured as the baseline side
}

// DuplicateError is returned by Add for a result set whose runs are
// already in the history. Nothing was added.
type DuplicateError struct {
	SHA256     string
	ID         int64 // the set already there
	Commit     string
	CommitTime time.Time
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("this result set is already in the history (set %d, commit %s, %s): nothing was added; add each bpbench run once", e.ID, e.Commit, e.CommitTime.UTC().Format(time.RFC3339))
}

// ContentSHA256 is the fingerprint by which Add recognises a result set it
// already holds: a SHA-256 over the runs as runs.json writes them (samples
// are not part of it).
func ContentSHA256(set *results.Set) (string, error) {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for i := range set.Runs {
		if err := enc.Encode(set.Runs[i]); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Add stores set with meta in one transaction and returns what it stored.
// Interrupted runs are not measurements and are skipped; so are the base
// side's runs of a set measured against a baseline binary (they measure
// another commit). It refuses a set already added (*DuplicateError), a
// set with no measured run, and a set whose runs name different commits.
func (h *History) Add(ctx context.Context, set *results.Set, meta Meta) (*Added, error) {
	sum, err := ContentSHA256(set)
	if err != nil {
		return nil, err
	}
	var keep []*results.Run
	skipped := 0
	commit := meta.Commit
	for i := range set.Runs {
		r := &set.Runs[i]
		if !r.Measured() || r.Side == results.SideBase {
			skipped++
			continue
		}
		if meta.Commit == "" {
			if commit != "" && r.Commit != commit {
				return nil, fmt.Errorf("the set's runs name two commits (%s and %s): add the folder of one bpbench run, or give the commit", commit, r.Commit)
			}
			commit = r.Commit
		}
		keep = append(keep, r)
	}
	if len(keep) == 0 {
		return nil, errors.New("the result set has no measured run: nothing to add; measure again with bpbench run")
	}
	if commit == "" {
		return nil, errors.New("the result set records no commit: give the commit it measured (--commit SHA)")
	}
	when := meta.CommitTime
	if when.IsZero() {
		when = time.Now()
	}

	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, h.writeError(err)
	}
	defer tx.Rollback()
	var dup DuplicateError
	var dupTime int64
	err = tx.QueryRowContext(ctx, `SELECT id, commit_sha, commit_time FROM result_sets WHERE content_sha256 = ?`, sum).Scan(&dup.ID, &dup.Commit, &dupTime)
	switch {
	case err == nil:
		dup.SHA256, dup.CommitTime = sum, time.Unix(0, dupTime)
		return nil, &dup
	case !errors.Is(err, sql.ErrNoRows):
		return nil, h.writeError(err)
	}
	var setID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO result_sets (content_sha256, commit_sha, commit_time, branch, source, added_at, runs) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		sum, commit, when.UnixNano(), meta.Branch, meta.Source, time.Now().UnixNano(), len(keep)).Scan(&setID)
	if err != nil {
		return nil, h.writeError(err)
	}
	ins, err := newInserter(ctx, tx)
	if err != nil {
		return nil, h.writeError(err)
	}
	defer ins.close()
	for _, r := range keep {
		if err := ins.run(ctx, setID, r, machineOf(r, meta.Machine)); err != nil {
			return nil, h.writeError(err)
		}
	}
	if err := ins.summaries(ctx, setID); err != nil {
		return nil, h.writeError(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, h.writeError(err)
	}
	return &Added{ID: setID, SHA256: sum, Commit: commit, Runs: len(keep), Skipped: skipped}, nil
}

func (h *History) writeError(err error) error {
	return fmt.Errorf("cannot write history %s: %w; nothing was added", h.path, err)
}

// machineOf is the machine and cap a run was measured on.
func machineOf(r *results.Run, m Machine) Machine {
	if r.GOOS != "" {
		m.GOOS = r.GOOS
	}
	if r.GOARCH != "" {
		m.GOARCH = r.GOARCH
	}
	if r.CPU != "" {
		m.CPU = r.CPU
	}
	m.MemLimit, m.HardLimit = r.MemLimit, r.HardLimit
	return m
}

// inserter holds the statements and id caches of one Add.
type inserter struct {
	tx         *sql.Tx
	insRun     *sql.Stmt
	machines   map[Machine]int64
	benchmarks map[string]int64
	units      map[string]int64
	sums       map[int64]*summary // by machine id
}

func newInserter(ctx context.Context, tx *sql.Tx) (*inserter, error) {
	s, err := tx.PrepareContext(ctx, `INSERT INTO runs (set_id, benchmark_id, machine_id, run_index, rep, outcome, wall_seconds, time_to_oom_seconds, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	return &inserter{tx: tx, insRun: s, machines: map[Machine]int64{}, benchmarks: map[string]int64{}, units: map[string]int64{}, sums: map[int64]*summary{}}, nil
}

func (in *inserter) close() { in.insRun.Close() }

// run stores one run and its values.
func (in *inserter) run(ctx context.Context, setID int64, r *results.Run, m Machine) error {
	mid, err := in.machine(ctx, m)
	if err != nil {
		return err
	}
	bid, err := in.name(ctx, in.benchmarks, "benchmarks", benchName(r.Name))
	if err != nil {
		return err
	}
	var oomAt any
	if r.Outcome == results.OOM && r.TimeToOOMSeconds != nil {
		oomAt = *r.TimeToOOMSeconds
	}
	var runID int64
	if err := in.insRun.QueryRowContext(ctx, setID, bid, mid, r.Index, r.Rep, string(r.Outcome), r.WallSeconds, oomAt, r.Note).Scan(&runID); err != nil {
		return err
	}
	res := r.BenchResult()
	if res == nil || len(res.Values) == 0 {
		return nil
	}
	// One statement for all of the run's values.
	var q strings.Builder
	q.WriteString(`INSERT INTO run_values (run_id, unit_id, value) VALUES `)
	args := make([]any, 0, 3*len(res.Values))
	for i, v := range res.Values {
		uid, err := in.name(ctx, in.units, "units", v.Unit)
		if err != nil {
			return err
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, runID, uid, v.Value)
		sum := in.sums[mid]
		if sum == nil {
			sum = newSummary()
			in.sums[mid] = sum
		}
		sum.add(bid, uid, v.Value)
	}
	_, err = in.tx.ExecContext(ctx, q.String(), args...)
	return err
}

// summaries writes the set's summaries of the runs stored (summary.go).
func (in *inserter) summaries(ctx context.Context, setID int64) error {
	frac := make(map[int64]bool, len(in.units))
	for name, id := range in.units {
		frac[id] = IsFraction(name)
	}
	return insertSummaries(ctx, in.tx, setID, in.sums, frac)
}

// benchName is a run's benchmark name as series show it: without the
// "Benchmark" prefix, parameters included.
func benchName(name string) string { return strings.TrimPrefix(name, "Benchmark") }

// name returns the id of name in table (benchmarks or units), adding it.
func (in *inserter) name(ctx context.Context, cache map[string]int64, table, name string) (int64, error) {
	if id, ok := cache[name]; ok {
		return id, nil
	}
	var id int64
	err := in.tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = in.tx.QueryRowContext(ctx, `INSERT INTO `+table+` (name) VALUES (?) RETURNING id`, name).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	cache[name] = id
	return id, nil
}

// machine returns the id of m, adding it.
func (in *inserter) machine(ctx context.Context, m Machine) (int64, error) {
	if id, ok := in.machines[m]; ok {
		return id, nil
	}
	fp := m.Fingerprint()
	var id int64
	err := in.tx.QueryRowContext(ctx, `SELECT id FROM machines WHERE fingerprint = ?`, fp).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = in.tx.QueryRowContext(ctx, `INSERT INTO machines (fingerprint, goos, goarch, cpu, cores, kernel, cap_mechanism, memlimit, hard_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			fp, m.GOOS, m.GOARCH, m.CPU, m.Cores, m.Kernel, m.CapMechanism, m.MemLimit, m.HardLimit).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	in.machines[m] = id
	return id, nil
}
