package harness

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bpbench/bpbench/probe"

	"golang.org/x/sys/unix"
)

func supported() error { return nil }

// procFiles keeps a child's /proc/PID/statm and /proc/PID/status open, so
// that each read is a single pread: the watchdog and VmHWM reads stay cheap.
// It also keeps the statm of every descendant found by refresh, so that a
// command run through a shell (which forks rather than execs) or any
// program that starts helpers is measured and capped as a whole.
type procFiles struct {
	pid           int
	statm, status *os.File
	buf           []byte
	pageSize      int64
	desc          map[int]*os.File // descendants' statm, by pid
	outside       *pidSet          // this process's children that are not the run's (a readiness check, a load generator); nil for none
	attached      bool             // the process is not this one's child (Attach): this process's orphans are not its
}

func openProc(pid int) (*procFiles, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	statm, err := os.Open(dir + "statm")
	if err != nil {
		return nil, err
	}
	status, err := os.Open(dir + "status")
	if err != nil {
		statm.Close()
		return nil, err
	}
	return &procFiles{pid: pid, statm: statm, status: status, buf: make([]byte, 4096), pageSize: int64(os.Getpagesize()), desc: map[int]*os.File{}}, nil
}

func (p *procFiles) close() {
	p.statm.Close()
	p.status.Close()
	for _, f := range p.desc {
		f.Close()
	}
}

// pss returns the tree's memory with shared pages counted once: the
// process's resident set size when it is alone, else the sum of every
// process's proportional set size (Pss in /proc/PID/smaps_rollup), in
// which a page shared by n processes counts 1/n in each. Summed RSS would
// count a page shared by 20 forked children 20 times. 0 once the process
// has exited. smaps_rollup is opened at each call: an open one keeps
// reading the memory the process had before an exec.
func (p *procFiles) pss() int64 {
	if len(p.desc) == 0 {
		return p.rss()
	}
	var sum int64
	for _, pid := range append(p.descendants(), p.pid) {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
		if err != nil {
			continue // gone, or a kernel before 4.14
		}
		n, _ := f.ReadAt(p.buf, 0)
		f.Close()
		sum += rollupPss(p.buf[:n])
	}
	if sum == 0 {
		return p.rss() // no smaps_rollup: summed RSS is all there is
	}
	return sum
}

// rollupPss finds "Pss: N kB" in a smaps_rollup text, in bytes.
func rollupPss(b []byte) int64 {
	i := bytes.Index(b, []byte("\nPss:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+5:])
	if len(f) < 1 {
		return 0
	}
	kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return kb << 10
}

// rss returns the resident set size of the process and its descendants
// (as of the last refresh) in bytes; 0 once the process has exited.
func (p *procFiles) rss() int64 {
	own := p.statmRSS(p.statm)
	if own == 0 {
		return 0
	}
	for _, f := range p.desc {
		own += p.statmRSS(f)
	}
	return own
}

func (p *procFiles) statmRSS(f *os.File) int64 {
	n, _ := f.ReadAt(p.buf, 0)
	fs := bytes.Fields(p.buf[:n])
	if len(fs) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(fs[1]), 10, 64)
	return pages * p.pageSize
}

// refresh finds the process's descendants now (through every thread's
// /proc/PID/task/TID/children), together with the orphans reparented to
// this process (its subreaper) and theirs — a backgrounded grandchild
// whose parent exited belongs to the run all the same — opens the statm
// of new ones and forgets the ones gone, and returns how many there are.
func (p *procFiles) refresh() int {
	seen := map[int]bool{}
	queue := []int{p.pid}
	for _, o := range orphans(p.pid) {
		if p.attached || p.outside.has(o) {
			continue
		}
		seen[o] = true
		queue = append(queue, o)
	}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children(pid) {
			if !seen[c] && c != p.pid {
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	for pid, f := range p.desc {
		if !seen[pid] {
			f.Close()
			delete(p.desc, pid)
		}
	}

	for pid := range seen {
		if p.desc[pid] == nil {
			if f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/statm"); err == nil {
				p.desc[pid] = f
			}
		}
	}
	return len(p.desc)
}

// alone reports whether the last refresh found no other process in the tree.
func (p *procFiles) alone() bool { return len(p.desc) == 0 }

// descendants returns the pids found by the last refresh.
func (p *procFiles) descendants() []int {
	out := make([]int, 0, len(p.desc))
	for pid := range p.desc {
		out = append(out, pid)
	}
	return out
}

// children lists pid's child processes, over all its threads.
func children(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(dir + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// becomeSubreaper makes this process the reaper of its orphaned
// descendants, so that a grandchild that leaves the run's process group
// (setsid) and loses its parent is still found, killed and reaped.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// killTree sends SIGKILL to pids and reaps those that were reparented to
// this process (as its subreaper) once they are dead.
func killTree(pids []int) {
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		var ws syscall.WaitStatus
		for i := 0; i < 100; i++ {
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			if got == pid || err != nil { // reaped, or not our child (its parent reaps it)
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// orphans lists this process's children other than the run's leader: the
// run's descendants reparented here after their parent died. Run runs one
// child at a time and makes its process the subreaper, so it must own the
// process: a program that embeds the harness and starts children of its
// own concurrently would see them killed.
func orphans(leader int) []int {
	var out []int
	for _, c := range children(os.Getpid()) {
		if c != leader {
			out = append(out, c)
		}
	}
	return out
}

// processAlive reports whether pid names a running process.
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// hwm returns VmHWM (the kernel's peak RSS of the process) in bytes; 0 once
// the process has exited and its memory is gone.
func (p *procFiles) hwm() int64 {
	n, _ := p.status.ReadAt(p.buf, 0)
	return parseHWM(p.buf[:n])
}

// parseHWM finds VmHWM in a /proc/PID/status text (see probe.VmHWM).
func parseHWM(status []byte) int64 { return probe.VmHWM(status) }

// enterCgroup makes cmd start in cg: under cgroup v2 the kernel clones
// the child into it (CLONE_INTO_CGROUP); under v1 cmd runs this
// executable, which joins cg and then execs the program (see the
// harness's init), with the write end of an exec pipe that its exec
// closes: r and w, for the caller to close.
func enterCgroup(cmd *exec.Cmd, cg *runCgroup) (r, w *os.File, err error) {
	if cg.host.version == 2 {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(cg.fd.Fd())
		return nil, nil, nil
	}
	if r, w, err = os.Pipe(); err != nil {
		return nil, nil, err
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	cmd.Path = cg.host.exe
	cmd.Env = append(cmd.Env, joinEnv+"="+strconv.Itoa(fd)+":"+cg.procsFile())
	return r, w, nil
}

// sysProcAttr puts the child in its own process group, so that one kill
// reaches the grandchildren too (sh -c, node's helpers), and kills it if
// the harness dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup sends SIGKILL to the process group led by pid. Call it only
// before the leader is reaped, so that the group id cannot have been reused.
func killGroup(pid int) error {
	return syscall.Kill(-pid, syscall.SIGKILL)
}

// termGroup sends SIGTERM to the process group led by pid: a
// long-running program is asked to stop at the end of its window.
func termGroup(pid int) error {
	return syscall.Kill(-pid, syscall.SIGTERM)
}

// getpgid returns pid's process group.
func getpgid(pid int) (int, error) { return syscall.Getpgid(pid) }

// waitExited blocks until pid has exited without reaping it (WNOWAIT): the
// zombie keeps its pid and process group reserved until cmd.Wait reaps it.
func waitExited(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// exitInfo returns the exit code (-1 if signalled) and the signal name.
func exitInfo(ps *os.ProcessState) (code int, signal string) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		name := unix.SignalName(ws.Signal())
		if name == "" {
			name = ws.Signal().String()
		}
		return -1, name
	}
	return ps.ExitCode(), ""
}

// rusageMaxRSS returns the child's ru_maxrss in bytes. On Linux it is not
// the child's own peak: a child started by vfork+exec inherits the parent's
// high-water mark at exec. The caller uses it only when it exceeds the
// harness's own VmHWM, which proves it is the child's.
func rusageMaxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss << 10
}

// readNonblock reads from a descriptor in non-blocking mode (os.Pipe's are).
func readNonblock(fd uintptr, b []byte) (int, error) {
	n, err := syscall.Read(int(fd), b)
	if err == syscall.EINTR {
		return 0, nil
	}
	return n, err
}

// cpuName is the first "model name" of /proc/cpuinfo.
func cpuName() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// watchable reports whether pid names a live process of this user's (or
// any process, for root): nil, or an error wrapping ErrNoProcess or
// ErrNotYours.
func watchable(pid int) error {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil || isZombie(pid) {
		return ErrNoProcess
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			if uid := os.Getuid(); uid != 0 && (len(f) == 0 || f[0] != strconv.Itoa(uid)) {
				return ErrNotYours
			}
		}
	}
	return nil
}

// processName is the process's command name (/proc/PID/comm).
func processName(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// processArgv is the process's command line (/proc/PID/cmdline).
func processArgv(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == 0 })
}
