package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// cgroupTestChild is the child side of the cgroup tests.
func cgroupTestChild(mode string) (int, bool) {
	switch mode {
	case "hold10": // 10MiB touched and held for a while
		b := make([]byte, 10<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		time.Sleep(300 * time.Millisecond)
		b[0]++
		return 0, true
	case "harness": // a harness running BPBENCH_TEST_CMD in BPBENCH_TEST_DIR, to be killed with SIGKILL
		c := Cell{Bench: "Cmd", Workload: "cmd", Dir: os.Getenv("BPBENCH_TEST_DIR"), Argv: []string{"sh", "-c", os.Getenv("BPBENCH_TEST_CMD")}}
		if _, err := Run(context.Background(), Config{Cells: []Cell{c}, MemLimit: 64 << 20, Commit: "test"}); err != nil {
			os.Stderr.WriteString(err.Error())
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// forcedCharges is how far the kernel lets a cgroup's charge pass its
// limit: charges that may not fail (kernel allocations with
// __GFP_NOFAIL, a task being OOM-killed on its way out) are forced, and
// 92KiB was seen. Bounded here by one charge batch, 64 pages.
const forcedCharges = 64 * 4096

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// needCgroup1 skips the test unless this process can make cgroup v1 memory
// cgroups where it runs (root on this machine and CI).
func needCgroup1(t *testing.T) *cgroupHost {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to make memory cgroups")
	}
	h, why := openCgroupHost("")
	if h == nil || h.version != 1 {
		if h != nil {
			h.close()
		}
		t.Skipf("no writable cgroup v1 memory hierarchy: %s", why)
	}
	h.close()
	return h
}

// noCgroupsLeft fails the test if a cgroup of this process is left in dir.
func noCgroupsLeft(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), cgroupPrefix+strconv.Itoa(os.Getpid())+"-") {
			t.Errorf("cgroup %s left behind", e.Name())
		}
	}
}

// The grandchild that leaves the tree (reparented to the harness) and
// outgrows the cap is killed by the kernel at the cap and the run is oom,
// though the shell that started it exits 0; the cgroup's peak never
// passes the cap.
func TestCgroupGrandchildIsOOMAtTheCap(t *testing.T) {
	h := needCgroup1(t)
	c := Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"sh", "-c", "(" + testExe(t) + " &) ; sleep 1"},
		Env: []string{envTestChild + "=oom", "GORACE=atexit_sleep_ms=0"}}
	cfg := baseConfig(c)
	cfg.Timeout = 30 * time.Second
	r := runOne(t, cfg)
	if r.Outcome != results.OOM || r.Machine.CapMechanism != CapCgroup1 || r.OOMKills == nil || *r.OOMKills < 1 {
		t.Fatalf("outcome %s under %s, oom kills %v; want oom under cgroup1, counted", r.Outcome, r.Machine.CapMechanism, r.OOMKills)
	}
	if p := deref(r.CgroupPeakBytes); p > r.HardLimit+forcedCharges || p < r.HardLimit*9/10 {
		t.Errorf("cgroup peak %d; want at most the %s cap, and near it", p, size.Human(r.HardLimit))
	}
	noCgroupsLeft(t, h.dir)
}

// pidsIn reads the pids that a run's processes wrote to files in dir.
func pidsIn(t *testing.T, dir string, names ...string) []int {
	t.Helper()
	var pids []int
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		pid, err2 := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || err2 != nil || pid <= 0 {
			t.Fatalf("%s: %q %v", n, b, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// checkDead fails the test for every pid still running, and kills it.
func checkDead(t *testing.T, what string, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !isZombie(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s: process %d outlived the run: %s", what, pid, st)
		}
	}
}

// escapes starts a double-forked sleeper, a daemonizing (setsid) child and
// a setsid process started by an orphan, each writing its pid to a file.
const escapes = `( (sleep 1000 & echo $! > p1) & ) ; ` +
	`setsid sh -c 'echo $$ > p2; exec sleep 1000' & ` +
	`( (setsid sh -c 'echo $$ > p3; exec sleep 1000' &) & ) ; ` +
	`while [ ! -s p1 ] || [ ! -s p2 ] || [ ! -s p3 ]; do sleep 0.01; done`

// A double fork, a daemonizing child and a setsid orphan are all killed at
// the end of the run: they are in its cgroup, wherever they went.
func TestCgroupEscapesAreKilled(t *testing.T) {
	h := needCgroup1(t)
	dir := t.TempDir()
	r := runOne(t, baseConfig(Cell{Bench: "Cmd", Workload: "cmd", Dir: dir, Argv: []string{"sh", "-c", escapes}}))
	if r.Outcome != results.OK || r.Machine.CapMechanism != CapCgroup1 {
		t.Fatalf("outcome %s under %s: %s", r.Outcome, r.Machine.CapMechanism, r.StderrTail)
	}
	checkDead(t, "escapes", pidsIn(t, dir, "p1", "p2", "p3"))
	noCgroupsLeft(t, h.dir)
}

// After kill -9 of the harness, its run's cgroup and the processes in it
// survive; the next Run kills them and removes the cgroup.
func TestCgroupStaleAfterKill9(t *testing.T) {
	h := needCgroup1(t)
	dir := t.TempDir()
	cmd := exec.Command(testExe(t))
	cmd.Env = append(os.Environ(), envTestChild+"=harness", "BPBENCH_TEST_DIR="+dir, "BPBENCH_TEST_CMD="+escapes+"; sleep 1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(dir, "p3")); len(b) > 0 {
			break
		}
		if time.Now().After(end) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the harness's run never started its processes")
		}
	}
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	pids := pidsIn(t, dir, "p1", "p2", "p3")
	stales, _ := filepath.Glob(filepath.Join(h.dir, cgroupPrefix+strconv.Itoa(cmd.Process.Pid)+"-*"))
	if len(stales) != 1 {
		t.Fatalf("after kill -9 of the harness: cgroups %v; want one", stales)
	}
	stale := stales[0]
	left, _ := readPids(filepath.Join(stale, "cgroup.procs"))
	if !slices.Contains(left, pids[0]) {
		t.Fatalf("after kill -9 the stale cgroup %s holds %v, not the sleeper %d", stale, left, pids[0])
	}
	r := runOne(t, baseConfig(Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"true"}}))
	if r.Outcome != results.OK {
		t.Fatalf("outcome %s", r.Outcome)
	}
	checkDead(t, "after kill -9 of the harness", pids)
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("stale cgroup %s not removed", stale)
	}
}

// 20 forked children of 10MiB each under an 80MiB cap: the kernel holds
// the cap (the watchdog overshot it by 30-99%).
func TestCgroupForkedChildrenNeverExceedTheCap(t *testing.T) {
	needCgroup1(t)
	c := Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"sh", "-c", "for i in $(seq 20); do " + testExe(t) + " & done; wait"},
		Env: []string{envTestChild + "=hold10", "GORACE=atexit_sleep_ms=0"}}
	cfg := baseConfig(c)
	cfg.HardLimit, cfg.Timeout = 80<<20, 30*time.Second
	r := runOne(t, cfg)
	if p := deref(r.CgroupPeakBytes); p < 0 || p > cfg.HardLimit+forcedCharges {
		t.Errorf("cgroup peak %d above the %s cap", p, size.Human(cfg.HardLimit))
	}
	if r.Outcome != results.OOM {
		t.Errorf("outcome %s; want oom (20 × 10MiB do not fit in 80MiB)", r.Outcome)
	}
}

// The peak of 20 forked children sharing their parent's pages counts the
// shared pages once (PSS), not 20 times (summed RSS).
func TestPeakCountsSharedPagesOnce(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3 to fork children that share pages")
	}
	const script = `import os, time
b = bytearray(20 << 20)
for i in range(0, len(b), 4096): b[i] = 1
pids = []
for _ in range(20):
    p = os.fork()
    if p == 0:
        time.sleep(0.4); os._exit(0)
    pids.append(p)
for p in pids: os.waitpid(p, 0)
`
	cfg := baseConfig(Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"python3", "-c", script}})
	cfg.MemLimit, cfg.HardLimit = 0, 0
	r := runOne(t, cfg)
	if r.Outcome != results.OK {
		t.Fatalf("outcome %s: %s", r.Outcome, r.StderrTail)
	}
	// One process holds 20MiB plus the interpreter (about 10MiB); summed
	// RSS would be over 20 times that.
	if r.PeakRSSBytes < 20<<20 || r.PeakRSSBytes > 100<<20 {
		t.Errorf("peak RSS %s; want the shared 20MiB counted once (20-100MiB), not 20 times", size.Human(r.PeakRSSBytes))
	}
}

// A program that sends itself SIGKILL at a few MiB is a crash, not an oom,
// whatever caps it.
func TestSelfSIGKILLIsCrash(t *testing.T) {
	for _, root := range []string{"", noCgroup} {
		cfg := baseConfig(Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"sh", "-c", "kill -9 $$"}})
		cfg.CgroupRoot = root
		r := runOne(t, cfg)
		if r.Outcome != results.Crash || r.Signal != "SIGKILL" {
			t.Errorf("under %s: outcome %s signal %s; want crash by SIGKILL", r.Machine.CapMechanism, r.Outcome, r.Signal)
		}
	}
}

// A cell that expects the probe (a built-in workload, --baseline-bin)
// running a program that never reports is not ok, though it exits 0.
func TestProbeExpectedButSilentIsNotOK(t *testing.T) {
	r := runOne(t, baseConfig(Cell{Bench: "B", Workload: "w", Variant: "drain", Argv: []string{"true"}, Probe: true}))
	if r.Outcome == results.OK || !r.NotStarted {
		t.Errorf("outcome %s, not started %v; want not ok and not started", r.Outcome, r.NotStarted)
	}
}

// With a cgroup root that cannot be written, runs use the watchdog and
// say so.
func TestReadOnlyCgroupRootFallsBackToWatchdog(t *testing.T) {
	fix := t.TempDir()
	for _, f := range []string{"memory.limit_in_bytes", "memory.oom_control", "cgroup.procs"} {
		if err := os.WriteFile(filepath.Join(fix, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ro := t.TempDir()
	if err := syscall.Mount(fix, ro, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount a fixture read-only: %v", err)
	}
	defer syscall.Unmount(ro, syscall.MNT_DETACH)
	if err := syscall.Mount("", ro, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount the fixture read-only: %v", err)
	}
	cfg := baseConfig(Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"true"}})
	cfg.CgroupRoot = ro
	r := runOne(t, cfg)
	t.Logf("cap note: %s", r.CapNote)
	if r.Machine.CapMechanism != CapWatchdog || !strings.Contains(r.CapNote, "read-only") {
		t.Errorf("mechanism %q, note %q; want the watchdog, saying the cgroup root is read-only", r.Machine.CapMechanism, r.CapNote)
	}
	if r.CgroupPeakBytes != nil || r.OOMKills != nil {
		t.Errorf("the watchdog recorded cgroup figures %v %v", r.CgroupPeakBytes, r.OOMKills)
	}
}

// BenchmarkCgroupOverhead is the per-run cost of the cap's mechanism: one
// run of true, its cgroup made, entered and removed (cgroup) or not
// (watchdog); and the cgroup's make and remove alone.
func BenchmarkCgroupOverhead(b *testing.B) {
	for _, root := range []string{noCgroup, ""} {
		cfg := Config{Cells: []Cell{{Bench: "True", Workload: "true", Argv: []string{"true"}}}, Commit: "test", CgroupRoot: root}
		res, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(res.Runs[0].Machine.CapMechanism, func(b *testing.B) {
			cfg.Count = b.N
			b.ResetTimer()
			if _, err := Run(context.Background(), cfg); err != nil {
				b.Fatal(err)
			}
		})
	}
	h, why := openCgroupHost("")
	if h == nil {
		b.Skip(why)
	}
	defer h.close()
	b.Run("make+remove", func(b *testing.B) {
		for b.Loop() {
			cg, err := h.newRun(64 << 20)
			if err != nil {
				b.Fatal(err)
			}
			cg.remove()
		}
	})
}

// The re-run that joins a cgroup v1 writes its pid only to a cgroup.procs
// on a cgroup filesystem: an environment naming any other file (even one
// called cgroup.procs) is refused, and the file is left as it was.
func TestJoinWritesOnlyToCgroupFS(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cgroup.procs")
	if err := os.WriteFile(p, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := joinAndExec(3, p, []string{"/bin/true"}); err == nil {
		t.Fatal("joined a cgroup.procs that is no cgroup's")
	}
	if b, _ := os.ReadFile(p); string(b) != "precious\n" {
		t.Errorf("the file now holds %q", b)
	}
}
