package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// Defaults of a long-running run (Config.Duration).
const (
	// DefaultGrace is the time between SIGTERM and SIGKILL when a
	// long-running program, or its load generator, is stopped.
	DefaultGrace = 5 * time.Second
	// DefaultReadyTimeout is how long a program may take to pass its
	// readiness check.
	DefaultReadyTimeout = 30 * time.Second
	// readyPoll is the time between two readiness checks.
	readyPoll = 50 * time.Millisecond
	// loadTail is how much of the end of a load generator's output is kept.
	loadTail = 64 << 10
)

// NotReadyError is the error of a long-running run whose program never
// passed its readiness check (Config.Ready) within Config.ReadyTimeout, or
// exited before it did. Run records the run (not started, nothing left
// running) and stops the suite with this error: the next runs would wait
// for nothing the same way.
type NotReadyError struct {
	Run     string        // the run's id
	Check   string        // Config.Ready
	Timeout time.Duration // Config.ReadyTimeout
	Reason  string        // what the last check saw, or that the program exited
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("harness: run %s: never ready: the check %q did not pass within %v: %s; the program was stopped", e.Run, e.Check, e.Timeout, e.Reason)
}

// ParseReady checks a readiness check: "tcp:PORT", "tcp:HOST:PORT", or
// any other text, a shell command. It returns the address to dial ("" for
// a command).
func ParseReady(check string) (addr string, err error) {
	rest, ok := strings.CutPrefix(check, "tcp:")
	if !ok {
		if strings.TrimSpace(check) == "" {
			return "", errors.New("empty: give tcp:PORT, tcp:HOST:PORT or a command that exits 0 once the program is ready")
		}
		return "", nil
	}
	host, port := "localhost", rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = strings.Trim(rest[:i], "[]"), rest[i+1:]
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
		return "", fmt.Errorf("%q: write tcp:PORT or tcp:HOST:PORT with a port from 1 to 65535, e.g. tcp:8080", check)
	}
	return net.JoinHostPort(host, port), nil
}

// pidSet is the processes of a run that are not the program's: its
// readiness checks and load generator, each the leader of its own process
// group. The program's tree leaves them out of its samples, its cap and
// its kills, though they are this process's children as the run's orphans
// are.
type pidSet struct {
	mu     sync.Mutex
	groups map[int]bool
}

func (s *pidSet) add(pgid int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[int]bool{}
	}
	s.groups[pgid] = true
}

func (s *pidSet) remove(pgid int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, pgid)
}

// has reports whether pid is one of the set's processes or in one of its
// process groups.
func (s *pidSet) has(pid int) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.groups) == 0 {
		return false
	}
	if s.groups[pid] {
		return true
	}
	pg, err := getpgid(pid)
	return err == nil && s.groups[pg]
}

// window drives a long-running run (Config.Duration): the readiness
// check, the load generator, and the end of the window.
type window struct {
	cfg     *Config
	dir     string // where the check and the load run: the cell's folder, or this process's
	outside *pidSet
	start   time.Time

	readyC   chan error // one value: nil once ready, or why it never was
	cancel   context.CancelFunc
	checking sync.WaitGroup

	load *loadProc
}

// newWindow starts the readiness check of a run whose child started at
// start; the check ends with the child (stop).
func newWindow(ctx context.Context, cfg *Config, c Cell, start time.Time, outside *pidSet) *window {
	w := &window{cfg: cfg, dir: c.Dir, outside: outside, start: start, readyC: make(chan error, 1)}
	ctx, w.cancel = context.WithCancel(ctx)
	w.checking.Add(1)
	go func() {
		defer w.checking.Done()
		w.readyC <- w.waitReady(ctx)
	}()
	return w
}

// waitReady runs the readiness check every readyPoll until it passes, the
// timeout passes or ctx ends.
func (w *window) waitReady(ctx context.Context) error {
	if w.cfg.Ready == "" {
		return nil
	}
	addr, _ := ParseReady(w.cfg.Ready) // Validate checked it
	deadline := time.Now().Add(w.cfg.ReadyTimeout)
	last := "it never answered"
	for {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return errors.New(last)
		}
		var err error
		if addr != "" {
			var conn net.Conn
			conn, err = (&net.Dialer{Timeout: min(remaining, time.Second)}).DialContext(ctx, "tcp", addr)
			if err == nil {
				conn.Close()
				return nil
			}
			last = "the last connection to " + addr + " failed: " + err.Error()
		} else {
			if err = w.checkOnce(ctx, remaining); err == nil {
				return nil
			}
			last = "the last check failed: " + err.Error()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := time.NewTimer(min(readyPoll, max(time.Until(deadline), 0)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// checkOnce runs the readiness command once, with sh -c, in its own
// process group, for at most limit.
func (w *window) checkOnce(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", w.cfg.Ready)
	cmd.Dir = w.dir
	cmd.SysProcAttr = sysProcAttr()
	out := &tailWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = time.Second
	if err := startLocked(cmd); err != nil {
		return err
	}
	w.outside.add(cmd.Process.Pid)
	err := cmd.Wait()
	killGroup(cmd.Process.Pid) // what it left in its group
	w.outside.remove(cmd.Process.Pid)
	if err != nil {
		if tail := lastLine(out.tail()); tail != "" {
			return fmt.Errorf("%v: %s", err, tail)
		}
	}
	return err
}

// stopChecking ends the readiness check and waits for it.
func (w *window) stopChecking() {
	w.cancel()
	w.checking.Wait()
}

// startLoad starts the load generator, if any.
func (w *window) startLoad() {
	if w.cfg.Load == "" {
		return
	}
	w.load = startLoad(w.cfg.Load, w.dir, w.start, w.outside)
}

// endLoad asks the load generator, if it runs, to stop (see
// loadProc.terminate), without waiting.
func (w *window) endLoad() {
	if w.load != nil {
		w.load.terminate(w.cfg.Grace)
	}
}

// stopLoad stops the load generator, if it runs, and waits for it.
func (w *window) stopLoad() {
	if w.load != nil {
		w.load.stop(w.cfg.Grace)
	}
}

// record is the load generator's record, nil when there was none.
func (w *window) record() *results.Load {
	if w.load == nil {
		return nil
	}
	return w.load.rec
}

// loadProc is a running load generator.
type loadProc struct {
	cmd     *exec.Cmd
	out     *loadWriter
	start   time.Time // the run's
	outside *pidSet
	done    chan struct{} // closed once it has exited and been reaped
	mu      sync.Mutex
	stopped bool
	rec     *results.Load
}

// startLoad starts cmdline with sh -c in dir, in its own process group,
// outside the run's cgroup, with stdin on /dev/null and its output kept.
func startLoad(cmdline, dir string, runStart time.Time, outside *pidSet) *loadProc {
	l := &loadProc{out: &loadWriter{}, start: runStart, outside: outside, done: make(chan struct{})}
	l.rec = &results.Load{Argv: []string{"sh", "-c", cmdline}, StartedSeconds: time.Since(runStart).Seconds(), ExitCode: -1}
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stdout, cmd.Stderr = l.out, l.out
	cmd.WaitDelay = time.Second // a grandchild that left its group may hold the output
	l.cmd = cmd
	if err := startLocked(cmd); err != nil {
		l.rec.Error = "cannot start: " + err.Error()
		l.rec.EndedSeconds = l.rec.StartedSeconds
		close(l.done)
		return l
	}
	outside.add(cmd.Process.Pid)
	go func() {
		cmd.Wait()
		killGroup(cmd.Process.Pid) // what it left behind
		l.mu.Lock()
		l.rec.EndedSeconds = time.Since(runStart).Seconds()
		l.mu.Unlock()
		close(l.done)
	}()
	return l
}

// terminate sends SIGTERM to the load's process group, and SIGKILL after
// grace if it is still running then; a load that already exited is left as
// it was. It does not wait.
func (l *loadProc) terminate(grace time.Duration) {
	select {
	case <-l.done:
		return
	default:
	}
	l.mu.Lock()
	first := !l.stopped
	l.stopped = true
	l.mu.Unlock()
	if !first {
		return
	}
	pid := l.cmd.Process.Pid
	termGroup(pid)
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-l.done:
		case <-t.C:
			killGroup(pid)
		}
	}()
}

// stop terminates the load and waits for it, then fills in its record.
func (l *loadProc) stop(grace time.Duration) {
	l.terminate(grace)
	<-l.done
	if l.cmd.Process != nil {
		l.outside.remove(l.cmd.Process.Pid)
		l.rec.ExitCode, l.rec.Signal = exitInfo(l.cmd.ProcessState)
	}
	l.mu.Lock()
	l.rec.Stopped = l.stopped
	l.mu.Unlock()
	l.rec.OutputTail, l.rec.OutputBytes = l.out.tail()
}

// loadWriter keeps the last loadTail bytes of a load generator's output.
// os/exec writes stdout and stderr from one goroutine when both are the
// same writer.
type loadWriter struct {
	buf []byte
	n   int64
}

func (w *loadWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	w.buf = append(w.buf, p...)
	if len(w.buf) > 2*loadTail {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-loadTail:]...)
	}
	return len(p), nil
}

func (w *loadWriter) tail() (string, int64) {
	b := w.buf
	if len(b) > loadTail {
		b = b[len(b)-loadTail:]
	}
	return strings.ToValidUTF8(string(b), ""), w.n
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
