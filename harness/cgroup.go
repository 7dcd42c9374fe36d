package harness

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// execError is what a re-run that could not join its cgroup or exec the
// program wrote to the exec pipe: "ERRNO MESSAGE".
func execError(msg []byte) error {
	n, text, _ := strings.Cut(string(msg), " ")
	errno, _ := strconv.Atoi(n)
	if errno > 0 {
		return &startFailure{text, syscall.Errno(errno)}
	}
	return errors.New(text)
}

// startFailure keeps the errno of a failed join or exec, so that
// errors.Is finds fs.ErrPermission and the like.
type startFailure struct {
	msg   string
	errno syscall.Errno
}

func (e *startFailure) Error() string { return e.msg }
func (e *startFailure) Unwrap() error { return e.errno }

// Cap mechanisms, as results.Machine.CapMechanism records them.
const (
	CapCgroup2  = "cgroup2"  // a cgroup v2 memory cgroup per run: memory.max, no swap, the whole cgroup killed on OOM
	CapCgroup1  = "cgroup1"  // a cgroup v1 memory cgroup per run: memory.limit_in_bytes (and memsw where swap is accounted)
	CapWatchdog = "watchdog" // no cgroup could be made: the harness samples the tree's RSS and kills it past the cap
)

// joinEnv names the environment variable with which Run asks a re-run of
// its own executable to join a cgroup v1 before it runs the program: its
// value is "FD:PATH", the descriptor of the exec pipe and the cgroup's
// cgroup.procs.
const joinEnv = "BPBENCH_CGROUP_JOIN"

// Under cgroup v1 a process cannot be started inside a cgroup, so Run
// starts this same executable with the program's argv and joinEnv set;
// the harness's init, in any program that links it, then writes the
// process's own pid to the cgroup's cgroup.procs and execs the program,
// whose first instruction so runs inside the cgroup. Package
// initialization runs on the main thread, so the exec keeps the pid's
// thread (and the /proc files Run opened); the process group and the
// parent-death signal Run set survive the exec. The exec pipe is
// close-on-exec: Run reads EOF once the program runs, or why it could not
// be started.
func init() {
	v, ok := os.LookupEnv(joinEnv)
	if !ok {
		return
	}
	os.Unsetenv(joinEnv)
	fdStr, procs, _ := strings.Cut(v, ":")
	fd, err := strconv.Atoi(fdStr)
	if err != nil || fd < 3 {
		fmt.Fprintf(os.Stderr, "bpbench: %s=%q: not FD:PATH\n", joinEnv, v)
		os.Exit(127)
	}
	err = joinAndExec(fd, procs, os.Args)
	var errno syscall.Errno
	errors.As(err, &errno)
	fmt.Fprintf(os.NewFile(uintptr(fd), "exec pipe"), "%d %v", errno, err)
	os.Exit(127)
}

// noCgroup is Config.CgroupRoot's value for the watchdog alone.
const noCgroup = "none"
