package examples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNodeServerUnderBpbench is the README's first pair of commands, small:
// bpbench run measures the Node server that ignores res.write()'s false and
// the one that waits for 'drain', under the slow client for 3s, twice each,
// under a 64MiB cap, with the same --name into two folders. The naive
// server must be judged growing (or killed at the cap), the drain server ok
// and flat, and bpbench gate must fail the first against the second,
// naming the metrics and the line of server.js that ignores backpressure.
func TestNodeServerUnderBpbench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Node server under bpbench for about 15s")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	t.Parallel()
	bin := buildBpbench(t)
	line := writeLine(t)

	// A low source rate (2MiB/s per response against a client reading
	// 64KiB/s on each of 2 connections) makes naive buffer some 4MiB a
	// second: growing plainly over the window, killed only if the cap is
	// reached, either of which the gate must catch.
	dirs := map[string]string{}
	for _, mode := range []string{"naive", "drain"} {
		dirs[mode] = filepath.Join(t.TempDir(), mode)
		port := freePort(t)
		out := bpbench(t, bin, 0, "run",
			"--cmd", fmt.Sprintf("node --max-old-space-size=64 examples/node-http/server.js --mode %s --port %d --source-rate 2MiB", mode, port),
			"--name", "node-http", "--duration", "3s", "--count", "2", "--memlimit", "64MiB",
			"--ready", fmt.Sprintf("tcp:127.0.0.1:%d", port),
			"--load", fmt.Sprintf("%s -port %d -c 2 -rate 64KiB", filepath.Join(bin, "slowclient"), port),
			"--out", dirs[mode])
		t.Logf("%s:\n%s", mode, out)
		nothingLeft(t, port)
	}

	naive, drain := outcomes(t, dirs["naive"]), outcomes(t, dirs["drain"])
	if len(naive) != 2 || len(drain) != 2 {
		t.Fatalf("runs: naive %v, drain %v; want 2 each", naive, drain)
	}
	for _, o := range drain {
		if o != "ok" {
			t.Errorf("drain server outcomes %v; want ok: it was alive within the cap to the end", drain)
			break
		}
	}

	// The gate fails naive against drain and says why.
	out := bpbench(t, bin, 1, "gate", "--baseline", dirs["drain"], dirs["naive"])
	oom := strings.Contains(strings.Join(naive, " "), "oom")
	switch {
	case oom && !strings.Contains(out, "oom"):
		t.Errorf("naive was killed at the cap (%v) but the gate does not say oom:\n%s", naive, out)
	case !oom && !strings.Contains(out, "memory is not flat"):
		t.Errorf("naive ran to the end (%v) but the gate does not judge it growing:\n%s", naive, out)
	}
	for _, want := range []string{"REGRESSION", "max-buffered-B", "decided by buffered bytes", "server.js:" + strconv.Itoa(line) + ": "} {
		if !oom && !strings.Contains(out, want) {
			t.Errorf("the gate does not say %q:\n%s", want, out)
		}
	}

	// Drain against naive: no regression, and drain's memory judged flat
	// (a growing drain would be excused as "the base grew too", in a note:
	// so its absence is checked in the notes too).
	var v struct {
		Regressed bool
		Findings  []struct{ Kind, Message string }
		Notes     []string
	}
	js := bpbench(t, bin, 0, "gate", "--baseline", dirs["naive"], dirs["drain"], "--format", "json")
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("gate --format json: %v\n%s", err, js)
	}
	for _, n := range v.Notes {
		if strings.Contains(n, "not flat") || strings.Contains(n, "too short to judge flatness") {
			t.Errorf("the drain server is not judged flat: %s", n)
		}
		// Node's own socket writes under a response (its chunk framing)
		// are not the program's: a server that waits for 'drain' makes
		// no write after false.
		if strings.Contains(n, "still ignores backpressure") {
			t.Errorf("the drain server is said to ignore backpressure: %s", n)
		}
	}
	if v.Regressed || len(v.Findings) > 0 {
		t.Errorf("gate drain against naive: regressed %v, findings %v", v.Regressed, v.Findings)
	}
}

// buildBpbench builds bpbench and its workload child (from the module
// root) and the slow client into a folder of their own.
func buildBpbench(t *testing.T) string {
	t.Helper()
	return goBuild(t, "..", "./cmd/bpbench", "./cmd/bpbench-workload", "./examples/slowclient")
}

// bpbench runs bin/bpbench with args from the module root, in a process
// group of its own (killed with everything in it if the test ends first),
// and returns its standard output; it fails the test unless bpbench exits
// with want within two minutes.
func bpbench(t *testing.T, bin string, want int, args ...string) string {
	t.Helper()
	p := &proc{cmd: exec.Command(filepath.Join(bin, "bpbench"), args...), done: make(chan struct{})}
	p.cmd.Dir = ".."
	var stdout, stderr bytes.Buffer
	p.cmd.Stdout, p.cmd.Stderr = &stdout, &stderr
	startProc(t, p)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		// SIGTERM lets bpbench stop what it started (its cap's cgroup
		// included) before the cleanup kills its process group.
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
		}
		t.Fatalf("bpbench %s did not end within 2 minutes:\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != want {
		t.Fatalf("bpbench %s: exit %d, want %d:\n%s%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// freePort is a TCP port on 127.0.0.1 that was free a moment ago: the
// servers print the port they chose, but --ready needs it beforehand.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// nothingLeft fails the test if a process whose command line names the
// port is still running once bpbench run has exited: the server and its
// load must be stopped with the run.
func nothingLeft(t *testing.T, port int) {
	t.Helper()
	needle := []byte(strconv.Itoa(port))
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, needle) || !bytes.Contains(b, []byte("-port")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if pid == os.Getpid() {
			continue
		}
		t.Errorf("pid %d is still running after bpbench run ended: %s", pid, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
	}
}

// outcomes are the outcomes of the runs in an output folder.
func outcomes(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "runs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct{ Outcome string }
	if err := json.Unmarshal(b, &runs); err != nil {
		t.Fatalf("%s/runs.json: %v", dir, err)
	}
	var out []string
	for _, r := range runs {
		out = append(out, r.Outcome)
	}
	return out
}

// writeLine is the line of server.js that writes a chunk of the response.
func writeLine(t *testing.T) int {
	t.Helper()
	f, err := os.Open("node-http/server.js")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), "res.write(chunk)") {
			return n
		}
	}
	t.Fatal("node-http/server.js has no res.write(chunk)")
	return 0
}
