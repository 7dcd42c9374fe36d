package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The cgroupfs work is a few file reads and writes, written here with the
// standard library rather than through containerd/cgroups or
// opencontainers/cgroups; see the package documentation ("The cap model")
// for why.

// cgroupHost is where Run makes each run's memory cgroup: a folder of a
// cgroup v1 memory hierarchy or of the cgroup v2 tree that bpbench may
// write.
type cgroupHost struct {
	version int    // 1 or 2
	dir     string // the folder run cgroups are made in
	memsw   bool   // v1: memory.memsw.limit_in_bytes exists (swap is accounted)
	seq     int    // runs made so far
	exe     string // v1: this executable, re-run to join a cgroup
	leaf    string // v2: the leaf this process moved into so that dir could delegate memory; "" if none

	mkdir func(dir string) error // os.Mkdir's stand-in; a test's fixture also makes the kernel's files
}

// cgroupPrefix starts the name of every cgroup bpbench makes, followed by
// its pid and a sequence number ("self" for the v2 leaf it moves into):
// a cgroup whose bpbench is gone is found and removed by the next Run.
const cgroupPrefix = "bpbench-"

// openCgroupHost finds where this process may make memory cgroups — root,
// or when root is "" the memory cgroup it runs in — checks that it can
// make one there, and removes what earlier bpbench processes left. On
// failure it returns why, for the record, and the watchdog caps the runs.
func openCgroupHost(root string) (*cgroupHost, string) {
	if root == noCgroup {
		return nil, "no cgroup was asked for"
	}
	dir := root
	if dir == "" {
		var err error
		if dir, err = ownMemoryCgroup("/proc/self/cgroup", "/proc/self/mountinfo"); err != nil {
			return nil, err.Error()
		}
	}
	h := &cgroupHost{dir: dir, mkdir: func(d string) error { return os.Mkdir(d, 0o755) }}
	return h.open()
}

// open checks h.dir and prepares it; see openCgroupHost.
func (h *cgroupHost) open() (*cgroupHost, string) {
	dir := h.dir
	switch {
	case exists(filepath.Join(dir, "memory.limit_in_bytes")):
		h.version = 1
		h.memsw = exists(filepath.Join(dir, "memory.memsw.limit_in_bytes"))
		exe, err := os.Executable()
		if err != nil {
			return nil, "cgroup v1 is entered by re-running this program, which cannot find itself: " + err.Error()
		}
		h.exe = exe
	case exists(filepath.Join(dir, "cgroup.controllers")):
		h.version = 2
		if why := h.delegateMemory(); why != "" {
			return nil, why
		}
	default:
		return nil, dir + " is not a memory cgroup (neither memory.limit_in_bytes nor cgroup.controllers)"
	}
	h.removeStale()
	// Make one to be sure: a read-only or foreign cgroupfs fails here.
	cg, err := h.newRun(1 << 30)
	if err != nil {
		h.close()
		return nil, "cannot make a memory cgroup in " + dir + ": " + err.Error()
	}
	if err := cg.remove(); err != nil {
		h.close()
		return nil, "cannot remove a memory cgroup in " + dir + ": " + err.Error()
	}
	return h, ""
}

// ownMemoryCgroup is the folder of this process's memory cgroup: the v1
// memory hierarchy's when there is one, else the v2 tree's, read from
// /proc/self/cgroup and the mount table.
func ownMemoryCgroup(cgroupFile, mountinfo string) (string, error) {
	b, err := os.ReadFile(cgroupFile)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", cgroupFile, err)
	}
	var v1, v2 string
	var hasV1, hasV2 bool
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			v2, hasV2 = f[2], true
		} else if slices.Contains(strings.Split(f[1], ","), "memory") {
			v1, hasV1 = f[2], true
		}
	}
	mounts, err := os.ReadFile(mountinfo)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", mountinfo, err)
	}
	find := func(fstype, path string, isMemory func(opts string) bool) (string, bool) {
		for _, line := range strings.Split(string(mounts), "\n") {
			// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
			pre, post, ok := strings.Cut(line, " - ")
			fs, ps := strings.Fields(post), strings.Fields(pre)
			if !ok || len(fs) < 3 || len(ps) < 5 || fs[0] != fstype || !isMemory(fs[2]) {
				continue
			}
			mroot, mpoint := unescapeMount(ps[3]), unescapeMount(ps[4])
			rel, err := filepath.Rel(mroot, path)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue // this mount shows another part of the hierarchy
			}
			return filepath.Join(mpoint, rel), true
		}
		return "", false
	}
	if hasV1 {
		if d, ok := find("cgroup", v1, func(o string) bool { return slices.Contains(strings.Split(o, ","), "memory") }); ok {
			return d, nil
		}
		return "", errors.New("the cgroup v1 memory hierarchy is not mounted where this process can see its own cgroup")
	}
	if hasV2 {
		if d, ok := find("cgroup2", v2, func(string) bool { return true }); ok {
			return d, nil
		}
		return "", errors.New("the cgroup v2 tree is not mounted where this process can see its own cgroup")
	}
	return "", errors.New("this process is in no memory cgroup (" + cgroupFile + " names none)")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// delegateMemory makes sure children of h.dir get the memory controller.
// cgroup v2's no-internal-processes rule forbids enabling a controller in
// cgroup.subtree_control of a cgroup that holds processes (the root
// excepted), and this process is usually in h.dir itself (a systemd scope
// made with Delegate=yes, a container's cgroup). When memory is not yet
// delegated and this process is the only one in h.dir, it moves itself to
// a leaf, bpbench-PID-self, then enables memory; the runs' cgroups become
// the leaf's siblings. Other processes in h.dir stay where they are, and
// then the watchdog caps the runs.
func (h *cgroupHost) delegateMemory() string {
	if !hasWord(filepath.Join(h.dir, "cgroup.controllers"), "memory") {
		return "the memory controller is not available in " + h.dir + " (its parent does not delegate it)"
	}
	sub := filepath.Join(h.dir, "cgroup.subtree_control")
	if hasWord(sub, "memory") {
		return ""
	}
	procs, err := readPids(filepath.Join(h.dir, "cgroup.procs"))
	if err == nil && len(procs) == 0 {
		if err := writeFile(sub, "+memory"); err != nil {
			return "cannot delegate the memory controller in " + h.dir + ": " + err.Error()
		}
		return ""
	}
	if err != nil || !slices.Equal(procs, []int{os.Getpid()}) {
		return "cannot delegate the memory controller in " + h.dir + ": it holds other processes than bpbench (cgroup v2 allows no processes beside child cgroups)"
	}
	leaf := filepath.Join(h.dir, fmt.Sprintf("%s%d-self", cgroupPrefix, os.Getpid()))
	if err := h.mkdir(leaf); err != nil && !os.IsExist(err) {
		return "cannot make a cgroup in " + h.dir + ": " + err.Error()
	}
	if err := writeFile(filepath.Join(leaf, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		os.Remove(leaf)
		return "cannot move bpbench to a leaf cgroup of " + h.dir + ": " + err.Error()
	}
	h.leaf = leaf
	if err := writeFile(sub, "+memory"); err != nil {
		h.close()
		return "cannot delegate the memory controller in " + h.dir + ": " + err.Error()
	}
	return ""
}

// close moves this process back from its v2 leaf, if it made one: the
// memory controller is withdrawn from h.dir's children first, as the
// no-internal-processes rule requires.
func (h *cgroupHost) close() {
	if h == nil || h.leaf == "" {
		return
	}
	writeFile(filepath.Join(h.dir, "cgroup.subtree_control"), "-memory")
	if writeFile(filepath.Join(h.dir, "cgroup.procs"), strconv.Itoa(os.Getpid())) == nil {
		os.Remove(h.leaf)
	}
	h.leaf = ""
}

// removeStale kills what is left in the cgroups of bpbench processes that
// no longer exist (killed with SIGKILL, say) and removes those cgroups.
func (h *cgroupHost) removeStale() {
	ents, _ := os.ReadDir(h.dir)
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), cgroupPrefix)
		pidStr, _, ok2 := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || !ok2 || err != nil || !e.IsDir() || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		cg := &runCgroup{host: h, dir: filepath.Join(h.dir, e.Name())}
		cg.kill(0)
		cg.remove()
	}
}

// runCgroup is one run's memory cgroup.
type runCgroup struct {
	host   *cgroupHost
	dir    string
	fd     *os.File // v2: the folder, for CLONE_INTO_CGROUP
	events *os.File // v2 memory.events, v1 memory.oom_control: read at every sample
	buf    []byte
}

// newRun makes the next run's cgroup with a hard cap of limit bytes (none
// when limit is 0) and no swap.
func (h *cgroupHost) newRun(limit int64) (*runCgroup, error) {
	h.seq++
	cg := &runCgroup{host: h, dir: filepath.Join(h.dir, fmt.Sprintf("%s%d-%d", cgroupPrefix, os.Getpid(), h.seq)), buf: make([]byte, 512)}
	if err := h.mkdir(cg.dir); err != nil {
		return nil, err
	}
	fail := func(err error) (*runCgroup, error) {
		cg.remove()
		return nil, err
	}
	max := "max"
	if limit > 0 {
		max = strconv.FormatInt(limit, 10)
	}
	var events string
	if h.version == 2 {
		if err := writeFile(filepath.Join(cg.dir, "memory.max"), max); err != nil {
			return fail(err)
		}
		// memory.swap.max is absent when the kernel does not account swap:
		// then no swap is counted against the cap either.
		if err := writeFile(filepath.Join(cg.dir, "memory.swap.max"), "0"); err != nil && !os.IsNotExist(err) {
			return fail(err)
		}
		if err := writeFile(filepath.Join(cg.dir, "memory.oom.group"), "1"); err != nil {
			return fail(err)
		}
		fd, err := os.Open(cg.dir)
		if err != nil {
			return fail(err)
		}
		cg.fd = fd
		events = "memory.events"
	} else {
		if limit > 0 {
			if err := writeFile(filepath.Join(cg.dir, "memory.limit_in_bytes"), max); err != nil {
				return fail(err)
			}
			if h.memsw {
				if err := writeFile(filepath.Join(cg.dir, "memory.memsw.limit_in_bytes"), max); err != nil {
					return fail(err)
				}
			} else {
				writeFile(filepath.Join(cg.dir, "memory.swappiness"), "0") // best effort: swap is not accounted
			}
		}
		events = "memory.oom_control"
	}
	f, err := os.Open(filepath.Join(cg.dir, events))
	if err != nil {
		return fail(err)
	}
	cg.events = f
	return cg, nil
}

// procsFile is the file a process writes its pid to to join the cgroup.
func (cg *runCgroup) procsFile() string { return filepath.Join(cg.dir, "cgroup.procs") }

// oomKills is how many processes the kernel's OOM killer has killed in the
// cgroup (memory.events or memory.oom_control, "oom_kill N"); -1 if the
// kernel does not say.
func (cg *runCgroup) oomKills() int64 {
	if cg.events == nil {
		return -1
	}
	n, _ := cg.events.ReadAt(cg.buf, 0)
	return keyedValue(cg.buf[:n], "oom_kill")
}

// keyedValue finds "key N" in a flat-keyed cgroup file; -1 if absent.
func keyedValue(b []byte, key string) int64 {
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte{' '})
		if ok && string(k) == key {
			if n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// peak is the cgroup's peak memory use in bytes, page cache and kernel
// memory charged to it included (v2 memory.peak, v1
// memory.max_usage_in_bytes); -1 if the kernel does not say (memory.peak
// came with Linux 5.19).
func (cg *runCgroup) peak() int64 {
	name := "memory.max_usage_in_bytes"
	if cg.host.version == 2 {
		name = "memory.peak"
	}
	b, err := os.ReadFile(filepath.Join(cg.dir, name))
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// procs lists the processes in the cgroup.
func (cg *runCgroup) procs() []int {
	pids, _ := readPids(cg.procsFile())
	return pids
}

// kill kills every process in the cgroup and waits, within a bound, until
// it is empty: cgroup.kill where the kernel has it (v2, Linux 5.14), else
// SIGKILL to each pid listed in cgroup.procs, again until none is left
// (a process may fork between the read and the kill). Orphans reparented
// to this process are reaped on the way; leader, the run's own child that
// os/exec waits for, is not.
func (cg *runCgroup) kill(leader int) {
	if cg.host.version == 2 {
		writeFile(filepath.Join(cg.dir, "cgroup.kill"), "1")
	}
	for i := 0; i < 2000; i++ {
		pids := cg.procs()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		reapOrphansNoWait(leader)
		time.Sleep(time.Millisecond)
	}
}

// remove kills what is left and removes the cgroup, retrying while the
// kernel still counts a dying process in it.
func (cg *runCgroup) remove() error {
	if cg.fd != nil {
		cg.fd.Close()
		cg.fd = nil
	}
	if cg.events != nil {
		cg.events.Close()
		cg.events = nil
	}
	var err error
	for i := 0; i < 200; i++ {
		if err = syscall.Rmdir(cg.dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			// A plain folder (a test's fixture) is not a cgroupfs one:
			// its files go with it.
			if errors.Is(err, syscall.ENOTEMPTY) {
				if !isCgroupfs(cg.dir) {
					return os.RemoveAll(cg.dir)
				}
			}
			break
		}
		cg.kill(0)
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("cannot remove cgroup %s: %w", cg.dir, err)
}

// isCgroupfs reports whether dir is on a cgroup or cgroup2 filesystem.
func isCgroupfs(dir string) bool {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return true // do not remove what cannot be identified
	}
	const cgroupMagic, cgroup2Magic = 0x27e0eb, 0x63677270
	return st.Type == cgroupMagic || st.Type == cgroup2Magic
}

// reapOrphansNoWait reaps this process's exited children other than
// leader, which os/exec waits for.
func reapOrphansNoWait(leader int) {
	for _, pid := range orphans(leader) {
		if isZombie(pid) {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

// isZombie reports whether pid has exited and waits to be reaped.
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func readPids(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out, nil
}

// writeFile writes s to an existing cgroup file, as one write.
func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func hasWord(path, word string) bool {
	b, err := os.ReadFile(path)
	return err == nil && slices.Contains(strings.Fields(string(b)), word)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// vmstatOOMKills is the machine's count of OOM kills since boot
// (/proc/vmstat oom_kill, Linux 4.13); -1 if unknown.
func vmstatOOMKills() int64 {
	f, err := os.Open("/proc/vmstat")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// joinAndExec writes this process's pid to procs, a cgroup's cgroup.procs,
// marks the exec pipe fd close-on-exec, then execs argv (argv[0] is the
// program's absolute path).
func joinAndExec(fd int, procs string, argv []string) error {
	if filepath.Base(procs) != "cgroup.procs" || len(argv) == 0 || !onCgroupFS(procs) {
		return fmt.Errorf("%s=%q is not a cgroup.procs file", joinEnv, procs)
	}
	if err := writeFile(procs, strconv.Itoa(os.Getpid())); err != nil {
		return fmt.Errorf("joining the cgroup: %w", err)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Exec(argv[0], argv, os.Environ()); err != nil {
		return fmt.Errorf("%s: %w", argv[0], err)
	}
	return nil
}

// onCgroupFS reports whether path is on a cgroup filesystem (v1 or v2): the
// re-run writes its pid only there, whatever its environment names.
func onCgroupFS(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP_SUPER_MAGIC || st.Type == unix.CGROUP2_SUPER_MAGIC
}
