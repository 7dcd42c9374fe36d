package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Ctrl-C stops bpbench run cleanly: the running child is killed and the
// runs measured so far, and the interrupted one, are written.
func TestInterruptKeepsWhatWasMeasured(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(exe, "run", "--workload", "tight-loop-5m", "--variant", "drain", "--lines", "300000",
		"--count", "50", "--warmup=false", "--out", out)
	cmd.Env = append(os.Environ(), asMain+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "run 1/50") {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("bpbench run after Ctrl-C: %v; want exit status 130", err)
	}
	data, err := os.ReadFile(filepath.Join(out, "runs.json"))
	if err != nil {
		t.Fatalf("no runs.json after Ctrl-C: %v", err)
	}
	var runs []struct {
		Outcome string `json:"outcome"`
		Samples string `json:"samples"`
	}
	if err := json.Unmarshal(data, &runs); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	for _, r := range runs {
		outcomes[r.Outcome]++
		if _, err := os.Stat(filepath.Join(out, r.Samples)); err != nil {
			t.Errorf("run %s: samples missing: %v", r.Outcome, err)
		}
	}
	// The signal lands during run 2 or between runs 1 and 2: at most one
	// run is interrupted, and the suite stops there.
	if outcomes["ok"] < 1 || outcomes["interrupted"] > 1 || outcomes["ok"]+outcomes["interrupted"] != len(runs) || len(runs) > 3 {
		t.Errorf("outcomes %v: want the finished runs ok, at most one interrupted, and the suite stopped", outcomes)
	}
}

// SIGTERM in the middle of a run whose --out holds a complete earlier
// result keeps that result and puts the interrupted runs beside it.
func TestInterruptKeepsEarlierResult(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	first := exec.Command(exe, "run", "--workload", "million-line-writer", "--variant", "drain", "--lines", "1000", "--count", "1", "--warmup=false", "--out", out)
	first.Env = append(os.Environ(), asMain+"=1")
	if b, err := first.CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, b)
	}
	before, _ := os.ReadFile(filepath.Join(out, "runs.json"))

	cmd := exec.Command(exe, "run", "--workload", "tight-loop-5m", "--variant", "drain", "--lines", "300000",
		"--count", "50", "--warmup=false", "--out", out)
	cmd.Env = append(os.Environ(), asMain+"=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "run 1/50") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d after SIGTERM; want 130", code)
	}
	after, _ := os.ReadFile(filepath.Join(out, "runs.json"))
	if string(after) != string(before) {
		t.Error("the complete earlier result was replaced by an interrupted one")
	}
	if partial, _ := filepath.Glob(out + "-partial-*"); len(partial) != 1 {
		t.Errorf("the interrupted runs were not written beside it: %q", partial)
	} else if _, err := os.Stat(filepath.Join(partial[0], "runs.json")); err != nil {
		t.Errorf("the interrupted runs were not written beside it: %v", err)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "these incomplete runs went to "+out+"-partial") {
		t.Errorf("bpbench did not say where the runs went:\n%s", strings.Join(lines, "\n"))
	}
}
