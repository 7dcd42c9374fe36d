package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
)

// watchRun runs bpbench watch in this process and returns its exit code
// and output.
func watchRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"watch"}, args...), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// started starts a command and kills it when the test ends.
func started(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	c := exec.Command(name, args...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c
}

func TestWatch(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not on PATH: the growing process is a python3 one-liner")
	}
	dir := t.TempDir()

	// A process that grows: exit 1 with the slope.
	grow := started(t, "python3", "-c", `import time
a=[]
for i in range(400):
    a.append(bytearray(1<<20)); time.sleep(0.01)
time.sleep(60)`)
	out := filepath.Join(dir, "grow")
	code, stdout, stderr := watchRun(t, strconv.Itoa(grow.Process.Pid), "--for", "1500ms", "--interval", "100ms", "--out", out)
	if code != 1 || !strings.Contains(stdout, "GROWING: ") || !strings.Contains(stdout, "(pid "+strconv.Itoa(grow.Process.Pid)+")") || !strings.Contains(stdout, "MiB/min (95% CI") || !strings.Contains(stdout, "above the 1 MiB/min threshold") {
		t.Errorf("growing: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "RSS"); n < 10 {
		t.Errorf("%d live lines off a terminal; want one per interval:\n%s", n, stderr)
	}
	set, err := results.ReadDir(out)
	if err != nil || len(set.Runs) != 1 || len(set.Runs[0].Series) < 10 || set.Runs[0].Workload != "watch" {
		t.Errorf("the folder: %v", err)
	}

	// A flat process: exit 0.
	flat := started(t, "sleep", "60")
	code, stdout, stderr = watchRun(t, strconv.Itoa(flat.Process.Pid), "--for", "1s", "--interval", "100ms", "--out", filepath.Join(dir, "flat"))
	if code != 0 || !strings.Contains(stdout, "flat: sleep (pid ") {
		t.Errorf("flat: exit %d\n%s%s", code, stdout, stderr)
	}

	// A process that exits early: the folder holds what was seen.
	early := started(t, "sleep", "0.5")
	out = filepath.Join(dir, "early")
	code, stdout, stderr = watchRun(t, strconv.Itoa(early.Process.Pid), "--for", "5s", "--interval", "100ms", "--out", out)
	if code != 0 || !strings.Contains(stdout, "the process exited after") {
		t.Errorf("early exit: exit %d\n%s%s", code, stdout, stderr)
	}
	if set, err := results.ReadDir(out); err != nil || len(set.Runs) != 1 || len(set.Runs[0].Series) < 2 || !strings.Contains(set.Runs[0].Note, "before the 5s window ended") {
		t.Errorf("early exit's folder: %v %+v", err, set)
	}
}

// Bad input exits 2 with the fix.
func TestWatchBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"2147483646"}, "no process 2147483646 is running: check the id with ps or pgrep"},
		{[]string{"abc"}, `"abc" is not a process id`},
		{nil, "give one process id"},
		{[]string{"1", "--for", "100ms", "--interval", "1s"}, "--for 100ms is shorter than two --interval 1s"},
	} {
		code, _, stderr := watchRun(t, append(tc.args, "--out", filepath.Join(dir, "x"))...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("watch %v: exit %d, %q; want 2 with %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a refused watch left its folder")
	}
	if os.Getuid() != 0 {
		if code, _, stderr := watchRun(t, "1", "--out", filepath.Join(dir, "y")); code != 2 || !strings.Contains(stderr, "process 1 is not yours") {
			t.Errorf("watch 1: exit %d %q", code, stderr)
		}
	}
}

// watch -h and the manual say that watch reads RSS only, and why: the
// probe's figures come over a pipe only bpbench run hands a program.
func TestWatchSaysRSSOnly(t *testing.T) {
	code, out, _ := watchRun(t, "-h")
	if code != 0 || !strings.Contains(out, "Watch reads RSS only") || !strings.Contains(out, "pipe") {
		t.Errorf("watch -h: exit %d, does not say it reads RSS only and why:\n%s", code, out)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte("It reads RSS only")) || !bytes.Contains(doc, []byte("BPBENCH_PROBE_FD")) {
		t.Error("the manual's watch paragraph does not say that watch reads RSS only and why")
	}
}
