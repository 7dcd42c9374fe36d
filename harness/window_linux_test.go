package harness

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// freePort returns a TCP port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not on PATH: the test server is a python3 one-liner")
	}
}

// shCell is a cell running a shell command line.
func shCell(name, script string) Cell {
	return Cell{Bench: name, Workload: "cmd", Argv: []string{"sh", "-c", script}}
}

// server is a python3 TCP server on port that accepts and closes
// connections until it is stopped.
func server(port string) string {
	return `exec python3 -c 'import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ` + port + `)); s.listen(16)
while True:
    c, _ = s.accept(); c.close()'`
}

// gone reports whether pid no longer runs (or is a zombie nobody reaps).
func gone(pid int) bool {
	return syscall.Kill(pid, 0) != nil || isZombie(pid)
}

// A server ready on its port runs for the window with its load, is stopped
// with SIGTERM at the end, and is ok; the load was stopped too.
func TestDurationServerIsOK(t *testing.T) {
	needPython(t)
	port := freePort(t)
	cfg := baseConfig(shCell("Server", server(port)))
	cfg.Duration, cfg.Ready, cfg.Load = 600*time.Millisecond, "tcp:"+port, "echo loading; exec sleep 30"
	cfg.Interval = 20 * time.Millisecond
	r := runOne(t, cfg)
	if r.Outcome != results.OK || r.NotStarted {
		t.Fatalf("outcome %s (not started %v), note %q; want ok", r.Outcome, r.NotStarted, r.Note)
	}
	if r.ReadySeconds == nil || r.StoppedSeconds == nil || *r.StoppedSeconds-*r.ReadySeconds < 0.6 || r.DurationSeconds != 0.6 {
		t.Errorf("ready %v, stopped %v, duration %v: want stopped 0.6s after ready", r.ReadySeconds, r.StoppedSeconds, r.DurationSeconds)
	}
	if !strings.Contains(r.Note, "stopped with SIGTERM") {
		t.Errorf("note %q: want it to say the program was stopped", r.Note)
	}
	l := r.Load
	if l == nil || !l.Stopped || l.Signal != "SIGTERM" || l.Failed() || l.OutputTail != "loading\n" || l.StartedSeconds < *r.ReadySeconds {
		t.Errorf("load %+v: want it started once ready, stopped by SIGTERM, its output kept", l)
	}
	if !gone(r.Pid) {
		t.Errorf("the server %d still runs", r.Pid)
	}
}

// A server that never becomes ready is stopped when the readiness check
// times out; the run is recorded as not started and Run says why.
func TestNeverReady(t *testing.T) {
	port := freePort(t)
	cfg := baseConfig(shCell("Deaf", "sleep 30 & wait"))
	cfg.Count = 3
	cfg.Duration, cfg.Ready, cfg.ReadyTimeout = 5*time.Second, "tcp:"+port, 300*time.Millisecond
	cfg.Load = "sleep 30"
	start := time.Now()
	res, err := Run(context.Background(), cfg)
	var nr *NotReadyError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "tcp:"+port) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err %v; want a *NotReadyError naming the check and what it saw", err)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("took %v: the suite should stop at the first run never ready", time.Since(start))
	}
	if res == nil || len(res.Runs) != 1 {
		t.Fatalf("runs %v: want the one run recorded", res)
	}
	r := res.Runs[0]
	if r.Outcome != results.Crash || !r.NotStarted || r.ReadySeconds != nil || r.Load != nil || !strings.Contains(r.Note, "never ready") {
		t.Errorf("run %s not started %v ready %v load %v note %q", r.Outcome, r.NotStarted, r.ReadySeconds, r.Load, r.Note)
	}
	if !gone(r.Pid) {
		t.Errorf("the server %d still runs", r.Pid)
	}
	if out, _ := exec.Command("pgrep", "-f", "^sleep 30$").Output(); len(out) > 0 {
		t.Errorf("processes of the test remain: %s", out)
	}
}

// A readiness command runs until it exits 0.
func TestReadyCommand(t *testing.T) {
	cfg := baseConfig(shCell("Slow", "sleep 0.3; touch ready; exec sleep 30"))
	cfg.Cells[0].Dir = t.TempDir()
	cfg.Duration, cfg.Ready = 200*time.Millisecond, "test -e ready"
	r := runOne(t, cfg)
	if r.Outcome != results.OK || r.ReadySeconds == nil || *r.ReadySeconds < 0.3 {
		t.Errorf("outcome %s ready %v note %q; want ok, ready after 0.3s", r.Outcome, r.ReadySeconds, r.Note)
	}
}

// A load generator that fails is reported; the run is kept and ok.
func TestFailingLoad(t *testing.T) {
	cfg := baseConfig(shCell("Idle", "exec sleep 30"))
	cfg.Duration, cfg.Load = 300*time.Millisecond, "echo cannot connect >&2; exit 3"
	r := runOne(t, cfg)
	if r.Outcome != results.OK {
		t.Errorf("outcome %s: a failing load does not make the program's run fail", r.Outcome)
	}
	if l := r.Load; l == nil || !l.Failed() || l.ExitCode != 3 || l.Stopped || l.OutputTail != "cannot connect\n" {
		t.Errorf("load %+v: want exit 3 with its output", l)
	}
	if !strings.Contains(r.Note, "the load generator exited with status 3") {
		t.Errorf("note %q: want the load's failure", r.Note)
	}
}

// A program that exits before its window ends crashed; one that ignores
// SIGTERM is killed after the grace and is ok.
func TestDurationEnds(t *testing.T) {
	cfg := baseConfig(shCell("Early", "sleep 0.1"))
	cfg.Duration = 2 * time.Second
	r := runOne(t, cfg)
	if r.Outcome != results.Crash || r.StoppedSeconds != nil || !strings.Contains(r.Note, "before it ended") {
		t.Errorf("early exit: outcome %s stopped %v note %q; want crash", r.Outcome, r.StoppedSeconds, r.Note)
	}
	cfg = baseConfig(shCell("Stubborn", `trap "" TERM; while :; do sleep 0.05; done`))
	cfg.Duration, cfg.Grace = 200*time.Millisecond, 200*time.Millisecond
	r = runOne(t, cfg)
	if r.Outcome != results.OK || r.Signal != "SIGKILL" || !strings.Contains(r.Note, "was killed") {
		t.Errorf("stubborn: outcome %s signal %s note %q; want ok, killed after the grace", r.Outcome, r.Signal, r.Note)
	}
}

// A server that allocates without bound under a small cap is oom.
func TestDurationGrowingServerIsOOM(t *testing.T) {
	needPython(t)
	cfg := baseConfig(shCell("Grows", `exec python3 -c 'import time
a=[]
while True:
    a.append(bytearray(1<<20)); time.sleep(0.002)'`))
	cfg.MemLimit, cfg.HardLimit = 32<<20, 48<<20
	cfg.Duration, cfg.Timeout = 20*time.Second, 30*time.Second
	r := runOne(t, cfg)
	if r.Outcome != results.OOM {
		t.Errorf("outcome %s note %q; want oom", r.Outcome, r.Note)
	}
}

func TestValidateWindow(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Ready: "tcp:80"}, "Ready"},
		{Config{Load: "x"}, "Load"},
		{Config{Duration: time.Minute, Timeout: time.Second}, "Timeout"},
		{Config{Duration: time.Minute, Ready: "tcp:0"}, "Ready"},
		{Config{Duration: time.Minute, Ready: "tcp:host:x"}, "Ready"},
		{Config{Duration: -1}, "Duration"},
	} {
		var ce *ConfigError
		if err := tc.cfg.Validate(); !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: %v; want a ConfigError for %s", tc.cfg, err, tc.field)
		}
	}
	if err := (Config{Duration: time.Minute, Timeout: time.Minute, Ready: "tcp:[::1]:8080"}).Validate(); err != nil {
		t.Error(err)
	}
	if a, _ := ParseReady("tcp:8080"); a != "localhost:8080" {
		t.Errorf("tcp:8080 dials %q", a)
	}
}
