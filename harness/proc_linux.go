package harness

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func supported() error { return nil }

// procFiles keeps a child's /proc/PID/statm and /proc/PID/status open, so
// that each read is a single pread: the watchdog and VmHWM reads stay cheap.
type procFiles struct {
	statm, status *os.File
	buf           []byte
	pageSize      int64
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
	return &procFiles{statm: statm, status: status, buf: make([]byte, 4096), pageSize: int64(os.Getpagesize())}, nil
}

func (p *procFiles) close() {
	p.statm.Close()
	p.status.Close()
}

// rss returns the resident set size in bytes; 0 once the process has exited.
func (p *procFiles) rss() int64 {
	n, _ := p.statm.ReadAt(p.buf, 0)
	f := bytes.Fields(p.buf[:n])
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * p.pageSize
}

// hwm returns VmHWM (the kernel's peak RSS of the process) in bytes; 0 once
// the process has exited and its memory is gone.
func (p *procFiles) hwm() int64 {
	n, _ := p.status.ReadAt(p.buf, 0)
	return parseHWM(p.buf[:n])
}

// parseHWM finds "VmHWM:   1234 kB" in a /proc/PID/status text.
func parseHWM(status []byte) int64 {
	i := bytes.Index(status, []byte("\nVmHWM:"))
	if i < 0 {
		return 0
	}
	line := status[i+len("\nVmHWM:"):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return kb << 10
}

// selfHWM is this process's VmHWM in bytes, or 0 if unknown.
func selfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseHWM(b)
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

func closeOnExec(fd int) { syscall.CloseOnExec(fd) }

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
