package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/bpbench/bpbench/internal/atomicfile"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpbench/bpbench/internal/history"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/chart"
)

// Formats of history export.
const (
	formatOtavaCSV = "otava-csv"
	formatBenchfmt = "benchfmt"
)

// historyOpts are the history verb's flags; each subcommand takes the ones
// historyFlagUse lists for it.
type historyOpts struct {
	db, benchmark, metric, since, format, out, summary string
	commit, commitTime, branch                         string
}

// historyFlagUse is which subcommands take which flag ("" is the listing).
var historyFlagUse = map[string][]string{
	"benchmark":   {"", "check", "export", "plot"},
	"metric":      {"", "check", "export", "plot"},
	"since":       {"", "check", "export", "plot"},
	"format":      {"", "check", "export", "plot"},
	"out":         {"export", "plot"},
	"summary":     {"check"},
	"commit":      {"add"},
	"commit-time": {"add"},
	"branch":      {"add"},
}

func historyFlags(fs *flag.FlagSet) verb {
	var o historyOpts
	fs.StringVar(&o.db, "db", history.DefaultPath, "the history file (created by the first add)")
	fs.StringVar(&o.benchmark, "benchmark", "", "only the benchmarks this glob matches, e.g. 'TightLoop/variant=drain/*' (* matches / too)")
	fs.StringVar(&o.metric, "metric", "", "only these units, comma-separated, e.g. peak-RSS-B,sec/op")
	fs.StringVar(&o.since, "since", "", "only result sets whose commit time is on or after this date (2006-01-02 or RFC 3339)")
	fs.StringVar(&o.format, "format", "", "output format: text, markdown, json or csv (listing; check takes text, markdown or json); otava-csv or benchfmt (export); svg or png (plot)")
	fs.StringVar(&o.out, "out", "", "export: the file to write (default standard output); plot: the folder of the trend page (default bpbench-trends)")
	fs.StringVar(&o.summary, "summary", "", "check: also write the verdict as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)")
	fs.StringVar(&o.commit, "commit", "", "add: the commit the result set measured (default: the one its runs record, else git rev-parse HEAD here)")
	fs.StringVar(&o.commitTime, "commit-time", "", "add: the commit's time, RFC 3339 (default: git's committer date of the commit, else now)")
	fs.StringVar(&o.branch, "branch", "", "add: the branch (default: git's current branch here)")
	return func(ctx context.Context, e *env, pos []string) int {
		sub := ""
		if len(pos) > 0 {
			switch pos[0] {
			case "add", "check", "export", "plot":
				sub, pos = pos[0], pos[1:]
			}
		}
		name := strings.TrimSpace("history " + sub)
		var misplaced error
		fs.Visit(func(f *flag.Flag) {
			if use, ok := historyFlagUse[f.Name]; ok && misplaced == nil && !slices.Contains(use, sub) {
				misplaced = fmt.Errorf("--%s is not a flag of bpbench %s; bpbench history -h says which subcommand takes it", f.Name, name)
			}
		})
		if misplaced != nil {
			return usageError(e, "history", misplaced)
		}
		switch sub {
		case "add":
			return historyAdd(ctx, e, o, pos)
		case "":
			if len(pos) > 0 {
				return usageError(e, "history", fmt.Errorf("unknown subcommand %q: give add DIR, check, export or plot, or nothing to list the change points", pos[0]))
			}
		default:
			if len(pos) > 0 {
				return usageError(e, name, fmt.Errorf("unexpected argument %q: bpbench %s takes only flags", pos[0], name))
			}
		}
		q, err := o.query()
		if err != nil {
			return usageError(e, name, err)
		}
		switch sub {
		case "check":
			return historyCheck(ctx, e, o, q)
		case "export":
			return historyExport(ctx, e, o, q)
		case "plot":
			return historyPlot(ctx, e, o, q)
		}
		return historyList(ctx, e, o, q)
	}
}

// open checks the --format (def when not given) against allowed and
// opens the history, which must exist.
func (o historyOpts) open(ctx context.Context, def string, allowed ...string) (*history.History, string, error) {
	format, err := reports.ParseFormat(cmp.Or(o.format, def), allowed...)
	if err != nil {
		return nil, "", err
	}
	h, err := openExisting(ctx, o.db)
	return h, format, err
}

// query is the series selection the flags make.
func (o historyOpts) query() (history.QueryOptions, error) {
	q := history.QueryOptions{Benchmark: strings.TrimPrefix(o.benchmark, "Benchmark")}
	if o.metric != "" {
		for _, u := range strings.Split(o.metric, ",") {
			if u = strings.TrimSpace(u); u != "" {
				q.Units = append(q.Units, u)
			}
		}
	}
	if o.since != "" {
		t, err := time.Parse(time.DateOnly, o.since)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, o.since); err != nil {
				return q, fmt.Errorf("--since %q: give a date such as 2025-01-31 or a time such as 2025-01-31T12:00:00Z", o.since)
			}
		}
		q.Since = t
	}
	return q, nil
}

// openExisting opens the history for reading: a file that does not exist
// is refused rather than created.
func openExisting(ctx context.Context, path string) (*history.History, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no history at %s: add result sets first with bpbench history add DIR, or give --db PATH", path)
	}
	return history.Open(ctx, path)
}

func historyAdd(ctx context.Context, e *env, o historyOpts, pos []string) int {
	if len(pos) != 1 {
		return usageError(e, "history add", errors.New("give one output folder of bpbench run: bpbench history add DIR [--commit SHA --commit-time RFC3339 --branch B]"))
	}
	dir := pos[0]
	// Everything is read and checked before the history is opened, so that
	// bad input leaves the history as it was (or absent).
	set, err := results.ReadDir(dir)
	if err != nil {
		return usageError(e, "history add", err)
	}
	meta := history.Meta{Commit: o.commit, Branch: o.branch, Source: dir}
	if meta.Commit == "" && !recordsCommit(set) {
		if meta.Commit = git(ctx, "rev-parse", "HEAD"); meta.Commit == "" {
			return usageError(e, "history add", fmt.Errorf("%s records no commit and there is no git checkout here: give the commit it measured (--commit SHA)", dir))
		}
	}
	commit := meta.Commit
	if commit == "" {
		commit = setCommit(set)
	}
	if o.commitTime != "" {
		if meta.CommitTime, err = time.Parse(time.RFC3339, o.commitTime); err != nil {
			return usageError(e, "history add", fmt.Errorf("--commit-time %q: give an RFC 3339 time such as 2025-01-31T12:00:00Z", o.commitTime))
		}
	} else if s := git(ctx, "show", "-s", "--format=%cI", commit+"^{commit}", "--"); s != "" {
		meta.CommitTime, _ = time.Parse(time.RFC3339, s)
	}
	if meta.Branch == "" {
		if b := git(ctx, "rev-parse", "--abbrev-ref", "HEAD"); b != "HEAD" {
			meta.Branch = b
		}
	}
	// What the runs do not record is this machine's: add where you measured.
	meta.Machine.Cores = runtime.NumCPU()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		meta.Machine.Kernel = strings.TrimSpace(string(b))
	}

	h, err := history.Open(ctx, o.db)
	if err != nil {
		return usageError(e, "history add", err)
	}
	defer h.Close()
	added, err := h.Add(ctx, set, meta)
	if err != nil {
		var dup *history.DuplicateError
		if errors.As(err, &dup) {
			err = fmt.Errorf("%s: %w", dir, err)
		}
		return usageError(e, "history add", err)
	}
	branch := ""
	if meta.Branch != "" {
		branch = " on " + meta.Branch
	}
	fmt.Fprintf(e.stdout, "added %s to %s as set %d: commit %s%s, %d runs", dir, o.db, added.ID, added.Commit, branch, added.Runs)
	if added.Skipped > 0 {
		fmt.Fprintf(e.stdout, " (%d not measurements of this commit: skipped)", added.Skipped)
	}
	fmt.Fprintln(e.stdout)
	return exitOK
}

// recordsCommit reports whether the runs that history would store name a
// commit (the harness writes "unknown" when it found none).
func recordsCommit(set *results.Set) bool {
	c := setCommit(set)
	return c != "" && c != "unknown"
}

// setCommit is the commit the measured, non-baseline runs of set record.
func setCommit(set *results.Set) string {
	for i := range set.Runs {
		if r := &set.Runs[i]; r.Measured() && r.Side != results.SideBase {
			return r.Commit
		}
	}
	return ""
}

// git runs git with args in the current directory and returns its trimmed
// output, or "" when git is missing or fails.
func git(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// changeRow is one change point as the listing writes it.
type changeRow struct {
	Benchmark  string    `json:"benchmark"`
	Unit       string    `json:"unit"`
	Machine    string    `json:"machine"`
	Commit     string    `json:"commit"`
	CommitTime time.Time `json:"commit_time"`
	Before     float64   `json:"before"`
	After      float64   `json:"after"`
	// Change is After/Before − 1; null for a change from 0.
	Change     *float64 `json:"change"`
	P          float64  `json:"p"`
	Strength   string   `json:"strength"`
	Kind       string   `json:"kind"`
	Regression bool     `json:"regression"`
}

func newChangeRow(k history.SeriesKey, c history.ChangePoint) changeRow {
	r := changeRow{Benchmark: k.Benchmark, Unit: k.Unit, Machine: k.Machine, Commit: c.Commit, CommitTime: c.CommitTime.UTC(),
		Before: c.Before, After: c.After, P: c.P, Strength: c.Strength(), Kind: c.Kind(), Regression: c.Regression}
	if !math.IsInf(c.Change, 0) && !math.IsNaN(c.Change) {
		r.Change = &c.Change
	}
	return r
}

// seriesJSON is one series in the listing's JSON.
type seriesJSON struct {
	Benchmark    string      `json:"benchmark"`
	Unit         string      `json:"unit"`
	Machine      string      `json:"machine"`
	Commits      int         `json:"commits"`
	ChangePoints []changeRow `json:"change_points"`
}

func historyList(ctx context.Context, e *env, o historyOpts, q history.QueryOptions) int {
	h, format, err := o.open(ctx, reports.FormatText, reports.FormatText, reports.FormatMarkdown, reports.FormatJSON, reports.FormatCSV)
	if err != nil {
		return usageError(e, "history", err)
	}
	defer h.Close()
	all, err := h.DetectAll(ctx, q, history.DetectOptions{})
	if err != nil {
		return usageError(e, "history", err)
	}
	var rows []changeRow
	machines := map[string]bool{}
	commits := map[int64]bool{}
	for _, sc := range all {
		machines[sc.SeriesKey.Machine] = true
		for _, p := range sc.Points {
			commits[p.SetID] = true
		}
		for _, c := range sc.ChangePoints {
			rows = append(rows, newChangeRow(sc.SeriesKey, c))
		}
	}
	switch format {
	case reports.FormatJSON:
		out := make([]seriesJSON, len(all))
		for i, sc := range all {
			out[i] = seriesJSON{Benchmark: sc.Benchmark, Unit: sc.Unit, Machine: sc.SeriesKey.Machine, Commits: len(sc.Points), ChangePoints: []changeRow{}}
			for _, c := range sc.ChangePoints {
				out[i].ChangePoints = append(out[i].ChangePoints, newChangeRow(sc.SeriesKey, c))
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	case reports.FormatCSV:
		cw := csv.NewWriter(e.stdout)
		cw.Write([]string{"benchmark", "unit", "machine", "commit", "commit_time", "before", "after", "change", "p", "strength", "kind"})
		for _, r := range rows {
			change := ""
			if r.Change != nil {
				change = strconv.FormatFloat(*r.Change, 'g', -1, 64)
			}
			cw.Write([]string{r.Benchmark, r.Unit, r.Machine, r.Commit, r.CommitTime.Format(time.RFC3339),
				strconv.FormatFloat(r.Before, 'g', -1, 64), strconv.FormatFloat(r.After, 'g', -1, 64), change,
				strconv.FormatFloat(r.P, 'g', 3, 64), r.Strength, r.Kind})
		}
		cw.Flush()
		err = cw.Error()
	default:
		err = writeChangeTable(e.stdout, format == reports.FormatMarkdown, rows, len(machines) > 1)
		if err == nil {
			fmt.Fprintf(e.stdout, "%s in %d series over %s of %s\n", plural(len(rows), "change point"), len(all), plural(len(commits), "result set"), o.db)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench history: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// writeChangeTable writes the change points as an aligned table or a
// Markdown one (names escaped), with a machine column when there are
// several machines.
func writeChangeTable(w io.Writer, markdown bool, rows []changeRow, withMachine bool) error {
	head := []string{"benchmark", "unit", "commit", "date", "before", "after", "change", "p", "kind"}
	if withMachine {
		head = append(head[:2:2], append([]string{"machine"}, head[2:]...)...)
	}
	cells := [][]string{head}
	for _, r := range rows {
		change := "from 0"
		if r.Change != nil {
			change = history.FormatChange(*r.Change)
		}
		row := []string{r.Benchmark, r.Unit, shortCommit(r.Commit), r.CommitTime.Format(time.DateOnly),
			history.FormatValue(r.Unit, r.Before), history.FormatValue(r.Unit, r.After), change,
			strconv.FormatFloat(r.P, 'g', 2, 64), r.Strength + " " + r.Kind}
		if withMachine {
			row = append(row[:2:2], append([]string{r.Machine}, row[2:]...)...)
		}
		cells = append(cells, row)
	}
	var buf bytes.Buffer
	if markdown {
		for i, row := range cells {
			for j := range row {
				row[j] = reports.EscapeMarkdown(row[j])
			}
			buf.WriteString("| " + strings.Join(row, " | ") + " |\n")
			if i == 0 {
				buf.WriteString(strings.Repeat("| --- ", len(row)) + "|\n")
			}
		}
		if len(rows) == 0 {
			buf.Reset()
			buf.WriteString("No change points.\n")
		}
		buf.WriteString("\n")
	} else if len(rows) > 0 {
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		for _, row := range cells {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		tw.Flush()
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// plural is n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// checkJSON is history check's JSON.
type checkJSON struct {
	Commit      string      `json:"commit"`
	Series      int         `json:"series"`
	Failed      bool        `json:"failed"`
	Regressions []changeRow `json:"regressions"`
	Notes       []changeRow `json:"notes"`
}

func historyCheck(ctx context.Context, e *env, o historyOpts, q history.QueryOptions) int {
	h, format, err := o.open(ctx, reports.FormatText, reports.FormatText, reports.FormatMarkdown, reports.FormatJSON)
	if err != nil {
		return usageError(e, "history check", err)
	}
	defer h.Close()
	res, err := h.Check(ctx, history.CheckOptions{Query: q})
	if err != nil {
		return usageError(e, "history check", err)
	}
	if res.SetID == 0 {
		return usageError(e, "history check", fmt.Errorf("%s holds no result set to check: add one with bpbench history add DIR", o.db))
	}
	var out bytes.Buffer
	switch format {
	case reports.FormatJSON:
		j := checkJSON{Commit: res.Commit, Series: res.Series, Failed: res.Failed(), Regressions: []changeRow{}, Notes: []changeRow{}}
		for _, f := range res.Regressions {
			j.Regressions = append(j.Regressions, newChangeRow(f.Series, f.ChangePoint))
		}
		for _, f := range res.Notes {
			j.Notes = append(j.Notes, newChangeRow(f.Series, f.ChangePoint))
		}
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		enc.Encode(j)
	case reports.FormatMarkdown:
		writeCheckMarkdown(&out, res)
	default:
		writeCheckText(&out, res)
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintf(e.stderr, "bpbench history check: %v\n", err)
		return exitBadUsage
	}
	if o.summary != "" {
		var md bytes.Buffer
		writeCheckMarkdown(&md, res)
		f, err := os.OpenFile(o.summary, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			_, err = f.Write(md.Bytes())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "bpbench history check: --summary: %v (the verdict above stands)\n", err)
		}
	}
	if res.Failed() {
		return exitFailed
	}
	return exitOK
}

func writeCheckText(w io.Writer, res *history.CheckResult) {
	if res.Failed() {
		fmt.Fprintf(w, "FAIL: commit %s opens %s in the history:\n", shortCommit(res.Commit), plural(len(res.Regressions), "regression change point"))
		for _, r := range res.Reasons() {
			fmt.Fprintf(w, "  %s\n", r)
		}
	} else {
		fmt.Fprintf(w, "PASS: commit %s opens no regression change point (%d series checked)\n", shortCommit(res.Commit), res.Series)
	}
	if len(res.Notes) > 0 {
		fmt.Fprintln(w, "Other changes at this commit (they do not fail the check):")
		for _, f := range res.Notes {
			fmt.Fprintf(w, "  %s\n", f.Reason())
		}
	}
}

func writeCheckMarkdown(w io.Writer, res *history.CheckResult) {
	if res.Failed() {
		fmt.Fprintf(w, "### ❌ bpbench history check: FAIL\n\nCommit `%s` opens %s:\n\n", shortCommit(res.Commit), plural(len(res.Regressions), "regression change point"))
		for _, f := range res.Regressions {
			fmt.Fprintf(w, "- %s\n", reports.EscapeMarkdown(f.Reason()))
		}
	} else {
		fmt.Fprintf(w, "### ✅ bpbench history check: PASS\n\nCommit `%s` opens no regression change point (%d series checked).\n", shortCommit(res.Commit), res.Series)
	}
	if len(res.Notes) > 0 {
		fmt.Fprintf(w, "\nOther changes at this commit (they do not fail the check):\n\n")
		for _, f := range res.Notes {
			fmt.Fprintf(w, "- %s\n", reports.EscapeMarkdown(f.Reason()))
		}
	}
	fmt.Fprintln(w)
}

func historyExport(ctx context.Context, e *env, o historyOpts, q history.QueryOptions) int {
	h, format, err := o.open(ctx, formatOtavaCSV, formatOtavaCSV, formatBenchfmt)
	if err != nil {
		return usageError(e, "history export", err)
	}
	defer h.Close()
	var buf bytes.Buffer
	if format == formatBenchfmt {
		err = h.WriteBenchfmt(ctx, &buf, q)
	} else {
		var series []history.Series
		if series, err = h.Query(ctx, q); err == nil {
			err = history.WriteOtavaCSV(&buf, series)
		}
	}
	if err != nil {
		return usageError(e, "history export", err)
	}
	if o.out == "" {
		_, err = e.stdout.Write(buf.Bytes())
	} else {
		err = atomicfile.Write(o.out, buf.Bytes())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench history export: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func historyPlot(ctx context.Context, e *env, o historyOpts, q history.QueryOptions) int {
	out := cmp.Or(o.out, "bpbench-trends")
	h, format, err := o.open(ctx, chart.SVG, chart.SVG, chart.PNG)
	if err != nil {
		return usageError(e, "history plot", err)
	}
	defer h.Close()
	all, err := h.DetectAll(ctx, q, history.DetectOptions{})
	if err != nil {
		return usageError(e, "history plot", err)
	}
	if len(all) == 0 {
		return usageError(e, "history plot", fmt.Errorf("no series in %s matches: widen --benchmark, --metric or --since", o.db))
	}
	series := make([]chart.TrendSeries, len(all))
	for i, sc := range all {
		series[i] = trendSeries(sc, machineCount(all) > 1)
	}
	files, err := chart.WriteTrendPage(out, "bpbench history: "+filepath.Base(o.db), series, format)
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench history plot: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "wrote %s and %d trend charts in %s\n", filepath.Join(out, chart.TrendPageFile), len(files)-1, out)
	return exitOK
}

func machineCount(all []history.SeriesChanges) int {
	m := map[string]bool{}
	for _, sc := range all {
		m[sc.SeriesKey.Machine] = true
	}
	return len(m)
}

// trendSeries is what chart.Trend draws of a series and its change points.
func trendSeries(sc history.SeriesChanges, withMachine bool) chart.TrendSeries {
	t := chart.TrendSeries{Benchmark: sc.Benchmark, Unit: sc.Unit, Fraction: history.IsFraction(sc.Unit)}
	if withMachine {
		t.Machine = sc.SeriesKey.Machine
	}
	frac := history.IsFraction(sc.Unit)
	for _, p := range sc.Points {
		tp := chart.TrendPoint{Commit: p.Commit, Time: p.CommitTime, Value: p.Value, Runs: p.Values}
		if frac {
			tp.Runs = nil // 0 or 1 per run: the fraction says it all
		}
		t.Points = append(t.Points, tp)
	}
	for _, c := range sc.ChangePoints {
		t.Changes = append(t.Changes, chart.TrendChange{Index: c.Index, Change: history.FormatChange(c.Change), Strong: c.Strong, Regression: c.Regression})
	}
	return t
}
