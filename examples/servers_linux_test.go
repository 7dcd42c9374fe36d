package examples_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Each server runs for window under clients slow clients reading at
// clientRate while it makes sourceRate bytes per second for each: the naive
// servers should grow by about clients × (sourceRate − clientRate) × window
// (2 × 8MiB/s × 3s ≈ 47MiB; measured 44MiB for go-http, 50MiB for the Node
// server), the drain servers by their runtime's warm-up alone (measured 4
// and 5MiB). The bounds are wide: a loaded machine slows the producers.
const (
	window     = 3 * time.Second
	clients    = "2"
	clientRate = "64KiB"
	sourceRate = "8MiB"

	minNaiveGrowth = 24 << 20 // half of what naive should add
	maxDrainGrowth = 16 << 20 // three times what drain adds
	minRatio       = 4        // naive's growth over drain's
)

// TestServersUnderSlowClient runs every example server in both modes under
// the slow client and compares how much each one's resident memory grew
// (peak VmRSS over the window, VmHWM, less VmRSS once it was listening).
func TestServersUnderSlowClient(t *testing.T) {
	bin := build(t)
	node, nodeErr := exec.LookPath("node")
	servers := []struct {
		name string
		cmd  func(mode string) []string
		skip string
	}{
		{"go-http", func(mode string) []string {
			return []string{filepath.Join(bin, "go-http"), "-mode", mode, "-port", "0", "-source-rate", sourceRate}
		}, ""},
		{"node-http", func(mode string) []string {
			return []string{node, "node-http/server.js", "--mode", mode, "--port", "0", "--source-rate", sourceRate}
		}, skipUnless(nodeErr == nil, "node is not installed")},
	}

	var mu sync.Mutex
	growth := map[string]int64{}
	t.Run("run", func(t *testing.T) {
		for _, s := range servers {
			for _, mode := range []string{"naive", "drain"} {
				t.Run(s.name+"/"+mode, func(t *testing.T) {
					if s.skip != "" {
						t.Skip(s.skip)
					}
					t.Parallel()
					g := measure(t, bin, s.cmd(mode))
					t.Logf("%s %s: grew %.1fMiB in %v", s.name, mode, float64(g)/(1<<20), window)
					mu.Lock()
					growth[s.name+"/"+mode] = g
					mu.Unlock()
				})
			}
		}
	})

	for _, s := range servers {
		naive, ok1 := growth[s.name+"/naive"]
		drain, ok2 := growth[s.name+"/drain"]
		if !ok1 || !ok2 {
			continue // skipped or failed: said above
		}
		if naive < minNaiveGrowth {
			t.Errorf("%s naive grew %.1fMiB, want at least %dMiB: the unread response is not piling up", s.name, mib(naive), minNaiveGrowth>>20)
		}
		if drain > maxDrainGrowth {
			t.Errorf("%s drain grew %.1fMiB, want at most %dMiB: it is not waiting for the client", s.name, mib(drain), maxDrainGrowth>>20)
		}
		if naive <= minRatio*max(drain, 1) {
			t.Errorf("%s naive grew %.1fMiB, drain %.1fMiB: want naive above %d times drain", s.name, mib(naive), mib(drain), minRatio)
		}
	}
}

// TestSlowClientReconnects: when a response ends, the client opens the next
// connection, and its summary counts the responses.
func TestSlowClientReconnects(t *testing.T) {
	t.Parallel()
	bin := build(t)
	srv := start(t, filepath.Join(bin, "go-http"), "-mode", "drain", "-port", "0", "-size", "32KiB")
	port := srv.waitFor(t, listening)
	client := start(t, filepath.Join(bin, "slowclient"), "-port", port, "-c", "2", "-rate", "4MiB")
	time.Sleep(time.Second) // the measured window: 4MiB/s over 32KiB responses is some 100 a second
	sum := client.stop(t)
	m := regexp.MustCompile(`responses (\d+), errors (\d+)`).FindStringSubmatch(sum)
	if m == nil {
		t.Fatalf("no summary from slowclient:\n%s", sum)
	}
	if n, _ := strconv.Atoi(m[1]); n < 4 {
		t.Errorf("slowclient read %d responses of 32KiB in 1s at 4MiB/s on 2 connections, want at least 4:\n%s", n, sum)
	}
	if m[2] != "0" {
		t.Errorf("slowclient had errors:\n%s", sum)
	}
	srv.stop(t)
}

func skipUnless(ok bool, why string) string {
	if ok {
		return ""
	}
	return why
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

var (
	listening = regexp.MustCompile(`listening on (\d+)\n`)
	perConn   = regexp.MustCompile(`bytes read per connection: ([\d ]+)\n`)
)

// measure runs the server command under the slow client for the window and
// returns how much its resident memory grew. It checks on the way that both
// stop with status 0 on SIGTERM and that the client read on every
// connection.
func measure(t *testing.T, bin string, cmd []string) int64 {
	srv := start(t, cmd[0], cmd[1:]...)
	port := srv.waitFor(t, listening)
	before := status(t, srv.cmd.Process.Pid, "VmRSS")
	client := start(t, filepath.Join(bin, "slowclient"), "-port", port, "-c", clients, "-rate", clientRate)
	time.Sleep(window) // the measured window, not a wait for an event
	peak := status(t, srv.cmd.Process.Pid, "VmHWM")

	sum := client.stop(t)
	m := perConn.FindStringSubmatch(sum)
	if m == nil {
		t.Fatalf("no summary from slowclient:\n%s", sum)
	}
	for _, f := range strings.Fields(m[1]) {
		if f == "0" {
			t.Errorf("a slow client read nothing:\n%s", sum)
		}
	}
	srv.stop(t)
	return peak - before
}

// build compiles the Go examples into a folder of their own.
func build(t *testing.T) string {
	t.Helper()
	return goBuild(t, ".", "./go-http", "./slowclient")
}

// goBuild compiles pkgs, named from the folder from, into a folder of
// their own and returns it.
func goBuild(t *testing.T, from string, pkgs ...string) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not installed")
	}
	dir := t.TempDir()
	cmd := exec.Command(gotool, append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = from
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// proc is a program started in a process group of its own, killed with
// everything it started and reaped when the test ends.
type proc struct {
	cmd    *exec.Cmd
	out    output
	done   chan struct{} // closed once Wait has returned
	waited error
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.out.changed = make(chan struct{}, 1)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	startProc(t, p)
	return p
}

// startProc starts p.cmd in a process group of its own and reaps it in
// the background; when the test ends the group is killed if p still runs.
func startProc(t *testing.T, p *proc) {
	t.Helper()
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waited = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done: // reaped: its group id may be someone else's by now
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
}

// waitFor waits for a line matching re in the program's output and returns
// its first group.
func (p *proc) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m[1]
		}
		select {
		case <-p.out.changed:
		case <-p.done:
			t.Fatalf("%s exited (%v) before printing %q:\n%s", p.cmd.Path, p.waited, re, p.out.String())
		case <-deadline.C:
			t.Fatalf("%s did not print %q in 10s:\n%s", p.cmd.Path, re, p.out.String())
		}
	}
}

// stop sends SIGTERM, expects exit status 0 and returns the output.
func (p *proc) stop(t *testing.T) string {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop within 10s of SIGTERM:\n%s", p.cmd.Path, p.out.String())
	}
	if p.waited != nil {
		t.Errorf("%s on SIGTERM: %v, want exit status 0:\n%s", p.cmd.Path, p.waited, p.out.String())
	}
	return p.out.String()
}

// output collects a program's output and says when more has come.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // capacity 1
}

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(b)
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// status reads a "kB" figure from /proc/PID/status, in bytes.
func status(t *testing.T, pid int, key string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + key + `:\s+(\d+) kB$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no %s in /proc/%d/status", key, pid)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}
