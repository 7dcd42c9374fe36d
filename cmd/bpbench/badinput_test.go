package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
)

// Bad input exits 2 with a message that names the problem and the fix, and
// writes nothing.
func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--workload", "nope", "--out", out}, `unknown workload "nope": run bpbench list`},
		{[]string{"run", "--memlimit", "12XB", "--out", out}, `--memlimit: bad size "12XB"`},
		{[]string{"run", "--hard-limit", "-1MiB", "--out", out}, `negative`},
		{[]string{"run", "--count", "-1", "--out", out}, `--count -1: give a count of 1 or more`},
		{[]string{"run", "--variant", "sideways", "--out", out}, `unknown variant`},
		{[]string{"run", "--shard", "3/2", "--out", out}, `bad shard`},
		{[]string{"run", "--interval", "0s", "--out", out}, `--interval`},
		{[]string{"run", "--hwm", "1KiB,12XB", "--out", out}, `bad size "12XB"`},
		{[]string{"run", "--workload", "million-line-writer", "--rate", "1MiB", "--out", out}, `--rate is used by none of the selected workloads`},
		{[]string{"run", "--out", filepath.Join(file, "sub")}, `cannot create output folder`},
		{[]string{"run", "--cmd", "no-such-program-xyz --flag", "--out", out}, `"no-such-program-xyz" is not an executable`},
		{[]string{"run", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--workload", "million-line-writer", "--hwm", "64KiB,64KiB", "--out", out}, `two cells are both named`},
		{[]string{"workload"}, `give exactly one workload name`},
		{[]string{"merge", filepath.Join(dir, "missing"), "--out", out}, `missing`},
		{[]string{"merge", "--out", out}, `give the shard folders`},
		{[]string{"run", "--cmd", "", "--out", out}, `--cmd is empty`},
		{[]string{"run", "--memlimit", "64MiB", "--hard-limit", "32MiB", "--out", out}, `--hard-limit 32MiB is below --memlimit 64MiB`},
		{[]string{"run", "--bogus"}, "flag provided but not defined: -bogus\nUsage: bpbench run [flags]"},
		{[]string{"list", "bogus"}, `unexpected argument "bogus"`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr)
		if code != 2 {
			t.Errorf("bpbench %s: exit %d, want 2 (stderr %q)", strings.Join(c.args, " "), code, stderr.String())
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("bpbench %s: stderr %q does not say %q", strings.Join(c.args, " "), stderr.String(), c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(out)
		t.Errorf("bad input left the output folder %s behind (%v)", out, entries)
	}
}

// A plain command line runs without a shell, so the harness caps the
// program itself; shell syntax and builtins go through sh -c.
func TestCommandCell(t *testing.T) {
	for cmd, shell := range map[string]bool{
		"true --flag x":     false,
		"exec true":         true,
		"cd /tmp && true":   true,
		"exit 1":            true,
		"A=1 true":          true,
		"true > /dev/null":  true,
		"true 'quoted arg'": true,
		"echo $HOME":        true,
		"true; true":        true,
	} {
		c, err := commandCell(cmd)
		if err != nil {
			t.Errorf("%q: %v", cmd, err)
			continue
		}
		if got := c.Argv[0] == "sh"; got != shell {
			t.Errorf("%q runs as %q; want shell %v", cmd, c.Argv, shell)
		}
	}
}

// A run that measures nothing (here: cancelled before its first run) does
// not replace the results already in the output folder.
func TestNothingMeasuredKeepsOldResults(t *testing.T) {
	out := t.TempDir()
	earlier := &results.Set{Runs: []results.Run{{ID: "old", Name: "BenchmarkOld", Outcome: results.OK, WallSeconds: 1}}}
	if err := earlier.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(out, "results.txt")
	want, _ := os.ReadFile(old)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"run", "--workload", "million-line-writer", "--lines", "100", "--out", out}, strings.NewReader(""), &stdout, &stderr)
	if code != 130 || !strings.Contains(stderr.String(), "nothing was measured") {
		t.Fatalf("exit %d, stderr %q; want 130 (interrupted) and a note that nothing was measured", code, stderr.String())
	}
	if b, _ := os.ReadFile(old); string(b) != string(want) {
		t.Fatalf("results.txt was replaced with %q", b)
	}
}

// A folder written by a run that measured nothing is refused as such: the
// error is results.ErrNoRuns (checked with errors.Is, not by its text),
// and compare exits 2 naming it.
func TestNoRunsFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "runs.json"), []byte("[]"), 0o644)
	if _, err := reports.Load(dir); !errors.Is(err, results.ErrNoRuns) {
		t.Fatalf("Load of a folder with no runs: %v, want results.ErrNoRuns", err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"compare", dir}, strings.NewReader(""), &stdout, &stderr); code != exitBadUsage || !strings.Contains(stderr.String(), "measured nothing") {
		t.Errorf("compare: exit %d, stderr %q; want 2 and a message naming the empty run", code, stderr.String())
	}
}
