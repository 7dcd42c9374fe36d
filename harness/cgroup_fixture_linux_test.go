package harness

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixtureV2 is a cgroup v2 folder of plain files, and the mkdir that makes
// a child with the files the kernel would make.
func fixtureV2(t *testing.T, controllers, subtree, procs string) (string, func(string) error) {
	t.Helper()
	dir := t.TempDir()
	write := func(d, name, s string) {
		if err := os.WriteFile(filepath.Join(d, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dir, "cgroup.controllers", controllers)
	write(dir, "cgroup.subtree_control", subtree)
	write(dir, "cgroup.procs", procs)
	mkdir := func(d string) error {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		for name, s := range map[string]string{"cgroup.procs": "", "cgroup.kill": "", "cgroup.controllers": "memory",
			"memory.max": "max", "memory.swap.max": "max", "memory.oom.group": "0", "memory.peak": "0",
			"memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"} {
			write(d, name, s)
		}
		return nil
	}
	return dir, mkdir
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Under cgroup v2 a run's cgroup gets memory.max (the hard cap),
// memory.swap.max 0 and memory.oom.group 1; its oom_kill and peak are
// read from memory.events and memory.peak; it is killed with cgroup.kill
// and removed.
func TestCgroupV2Fixture(t *testing.T) {
	dir, mkdir := fixtureV2(t, "cpu io memory pids", "memory pids", "")
	h, why := (&cgroupHost{dir: dir, mkdir: mkdir}).open()
	if h == nil || h.version != 2 || h.leaf != "" {
		t.Fatalf("open: %+v %q; want cgroup v2 in the folder itself", h, why)
	}
	cg, err := h.newRun(80 << 20)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, cgroupPrefix+strconv.Itoa(os.Getpid())+"-2") // -1 was open's own check
	if cg.dir != want || cg.procsFile() != filepath.Join(want, "cgroup.procs") || cg.fd == nil {
		t.Errorf("cgroup %s (fd %v); want %s with its folder open for CLONE_INTO_CGROUP", cg.dir, cg.fd, want)
	}
	for name, v := range map[string]string{"memory.max": "83886080", "memory.swap.max": "0", "memory.oom.group": "1"} {
		if got := readFixture(t, filepath.Join(cg.dir, name)); got != v {
			t.Errorf("%s = %q; want %q", name, got, v)
		}
	}
	if n := cg.oomKills(); n != 0 {
		t.Errorf("oom kills %d before any; want 0", n)
	}
	os.WriteFile(filepath.Join(cg.dir, "memory.events"), []byte("low 0\nhigh 0\nmax 12\noom 2\noom_kill 3\noom_group_kill 1\n"), 0o644)
	os.WriteFile(filepath.Join(cg.dir, "memory.peak"), []byte("83886080\n"), 0o644)
	if n, p := cg.oomKills(), cg.peak(); n != 3 || p != 80<<20 {
		t.Errorf("oom kills %d, peak %d; want 3 and 80MiB", n, p)
	}
	os.Remove(filepath.Join(cg.dir, "memory.peak")) // before Linux 5.19
	if p := cg.peak(); p != -1 {
		t.Errorf("peak %d without memory.peak; want -1 (unknown), not 0", p)
	}
	cg.kill(0)
	if got := readFixture(t, filepath.Join(cg.dir, "cgroup.kill")); got != "1" {
		t.Errorf("cgroup.kill = %q; want 1", got)
	}
	if err := cg.remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cg.dir); err == nil {
		t.Errorf("%s not removed", cg.dir)
	}
	// No cap: memory.max stays "max".
	cg, err = h.newRun(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFixture(t, filepath.Join(cg.dir, "memory.max")); got != "max" {
		t.Errorf("uncapped memory.max = %q", got)
	}
	cg.remove()
}

// The choice of mechanism under v2: memory already delegated is used as
// is; otherwise, when bpbench is alone in its cgroup, it moves itself to a
// leaf and delegates memory (the no-internal-processes rule), and moves
// back at the end; with other processes there, or no memory controller,
// the watchdog.
func TestCgroupV2Delegation(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	dir, mkdir := fixtureV2(t, "cpu memory", "", self+"\n")
	h, why := (&cgroupHost{dir: dir, mkdir: mkdir}).open()
	if h == nil {
		t.Fatalf("alone in its cgroup: %s", why)
	}
	leaf := filepath.Join(dir, cgroupPrefix+self+"-self")
	if h.leaf != leaf || readFixture(t, filepath.Join(leaf, "cgroup.procs")) != self || readFixture(t, filepath.Join(dir, "cgroup.subtree_control")) != "+memory" {
		t.Errorf("leaf %q (procs %q), subtree_control %q; want itself moved to %s and +memory", h.leaf,
			readFixture(t, filepath.Join(leaf, "cgroup.procs")), readFixture(t, filepath.Join(dir, "cgroup.subtree_control")), leaf)
	}
	h.close()
	if readFixture(t, filepath.Join(dir, "cgroup.subtree_control")) != "-memory" || readFixture(t, filepath.Join(dir, "cgroup.procs")) != self {
		t.Errorf("close: subtree_control %q, procs %q; want -memory and itself moved back",
			readFixture(t, filepath.Join(dir, "cgroup.subtree_control")), readFixture(t, filepath.Join(dir, "cgroup.procs")))
	}
	os.RemoveAll(leaf) // a plain folder here; rmdir on cgroupfs

	dir, mkdir = fixtureV2(t, "cpu memory", "", self+"\n1\n")
	if h, why := (&cgroupHost{dir: dir, mkdir: mkdir}).open(); h != nil || !strings.Contains(why, "other processes") {
		t.Errorf("with other processes: %+v %q; want the watchdog, saying why", h, why)
	}
	if got := readFixture(t, filepath.Join(dir, "cgroup.subtree_control")); got != "" {
		t.Errorf("with other processes, subtree_control written: %q", got)
	}
	// An empty cgroup (bpbench elsewhere, e.g. a delegated subtree) gets
	// memory delegated directly.
	dir, mkdir = fixtureV2(t, "cpu memory", "", "")
	if h, why := (&cgroupHost{dir: dir, mkdir: mkdir}).open(); h == nil || h.leaf != "" || readFixture(t, filepath.Join(dir, "cgroup.subtree_control")) != "+memory" {
		t.Errorf("empty cgroup: %+v %q; want +memory written, no leaf", h, why)
	}
	dir, mkdir = fixtureV2(t, "cpu pids", "", "")
	if h, why := (&cgroupHost{dir: dir, mkdir: mkdir}).open(); h != nil || !strings.Contains(why, "memory controller is not available") {
		t.Errorf("no memory controller: %+v %q; want the watchdog, saying why", h, why)
	}
}

// A cgroup v1 folder is recognised as such.
func TestCgroupV1FixtureIsV1(t *testing.T) {
	dir := t.TempDir()
	mkdir := func(d string) error {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		for _, f := range []string{"cgroup.procs", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control", "memory.max_usage_in_bytes"} {
			os.WriteFile(filepath.Join(d, f), nil, 0o644)
		}
		return nil
	}
	for _, f := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "cgroup.procs"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	h, why := (&cgroupHost{dir: dir, mkdir: mkdir}).open()
	if h == nil || h.version != 1 || !h.memsw || h.exe == "" {
		t.Fatalf("%+v %q; want cgroup v1 with memsw", h, why)
	}
	cg, err := h.newRun(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"} {
		if got := readFixture(t, filepath.Join(cg.dir, f)); got != "67108864" {
			t.Errorf("%s = %q", f, got)
		}
	}
	os.WriteFile(filepath.Join(cg.dir, "memory.oom_control"), []byte("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 0o644)
	if n := cg.oomKills(); n != 2 {
		t.Errorf("oom kills %d; want 2", n)
	}
	cg.remove()
}

// bpbench finds its memory cgroup through /proc/self/cgroup and the mount
// table: the v1 memory hierarchy first, else the v2 tree, also when the
// mount shows only part of the hierarchy (a container).
func TestOwnMemoryCgroup(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	mounts := write("mountinfo", `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
41 31 0:38 /ctr /sys/fs/cgroup/uni\040fied rw,relatime - cgroup2 cgroup2 rw
`)
	for _, c := range []struct{ cgroup, want string }{
		{"9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n", "/sys/fs/cgroup/memory/process_api/abc"},
		{"0::/ctr/bench.scope\n", "/sys/fs/cgroup/uni fied/bench.scope"},
	} {
		got, err := ownMemoryCgroup(write("cgroup", c.cgroup), mounts)
		if got != c.want || err != nil {
			t.Errorf("%q: %q %v; want %q", c.cgroup, got, err, c.want)
		}
	}
	if _, err := ownMemoryCgroup(write("cgroup", "0::/elsewhere\n"), mounts); err == nil {
		t.Errorf("a cgroup outside the mounted part: no error")
	}
}
