package harness

import (
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// child is a started run: the process, its probe pipe and its stderr.
type child struct {
	cmd     *exec.Cmd
	pid     int
	start   time.Time
	stderr  *tailWriter
	probing bool        // the child speaks the probe protocol over pr
	pr      *os.File    // the read end of the probe pipe, or nil
	probe   *probeState // what the probe reported
	exited  chan struct{}
	exitAt  time.Time // set before exited is closed
	cleanup func()    // removes the working folder and closes the pipe
}

// spawn starts cell c in its own process group, in a fresh working folder
// unless the cell names one, with the probe pipe as descriptor 3 when the
// cell speaks the probe, inside the memory cgroup cg when it is not nil:
// cgroup v2 through CLONE_INTO_CGROUP, v1 by starting this executable to
// join it and exec the program (see the harness's init). Either way the program's
// first instruction runs in the cgroup. The error, a *StartError, is for
// a run that could not start.
func spawn(cfg *Config, c Cell, id string, cg *runCgroup) (*child, error) {
	ch := &child{stderr: &tailWriter{}, probe: newProbeState(), exited: make(chan struct{})}
	var undo []func()
	ch.cleanup = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	fail := func(err error) (*child, error) {
		ch.cleanup()
		return nil, err
	}
	dir := c.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", runDirPrefix+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			return fail(&StartError{id, "working directory", err})
		}
		undo = append(undo, func() { os.RemoveAll(tmp) })
		dir = tmp
	}
	ch.probing = (c.Probe || c.MayProbe) && cfg.Interval > 0

	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = dir
	cmd.Env = childEnv(os.Environ(), cfg, c, ch.probing)
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 2 * time.Second // grandchildren that escaped the group may hold stderr
	cmd.Stderr = ch.stderr
	ch.cmd = cmd

	var pw *os.File
	if ch.probing {
		var err error
		ch.pr, pw, err = os.Pipe()
		if err != nil {
			return fail(&StartError{id, "probe pipe", err})
		}
		pr := ch.pr
		undo = append(undo, func() { pr.Close() })
		cmd.ExtraFiles = []*os.File{pw} // descriptor 3 = probe.FD
	}
	var execR, execW *os.File // cgroup v1: closed by the program's exec, or the reason it failed
	if cg != nil {
		var err error
		if execR, execW, err = enterCgroup(cmd, cg); err != nil {
			return fail(&StartError{id, "exec pipe", err})
		}
		if execR != nil {
			undo = append(undo, func() { execR.Close() })
		}
	}

	ch.start = time.Now()
	err := startLocked(cmd)
	if pw != nil {
		pw.Close() // the child has its copy; EOF comes when it exits
	}
	if execW != nil {
		execW.Close()
	}
	if err != nil {
		return fail(&StartError{id, "cannot start " + c.Argv[0], err})
	}
	ch.pid = cmd.Process.Pid
	if execR != nil {
		// Wait for the exec, so that the first look at the child sees the
		// program, not this executable on its way to it.
		execR.SetReadDeadline(time.Now().Add(10 * time.Second))
		msg, rerr := io.ReadAll(execR)
		if len(msg) > 0 || rerr != nil {
			killGroup(ch.pid)
			cmd.Wait()
			err := rerr
			if len(msg) > 0 {
				err = execError(msg)
			}
			return fail(&StartError{id, "cannot start " + c.Argv[0], err})
		}
	}
	if ch.probing {
		if err := ch.probe.attach(ch.pr); err != nil {
			killGroup(ch.pid)
			cmd.Wait()
			return fail(&StartError{id, "probe pipe", err})
		}
	}
	go func() {
		waitExited(ch.pid)
		ch.exitAt = time.Now()
		close(ch.exited)
	}()
	return ch, nil
}

// reap kills whatever the exited child left behind — its cgroup, its
// group, the descendants seen last, and any orphan reparented to this process (the
// subreaper), such as a grandchild that left the group with setsid — then
// reaps it and reads the rest of its probe reports. Call it once the child
// has exited: the leader is a zombie then, so its group id cannot have been
// reused.
func (ch *child) reap(descendants []int, cg *runCgroup) error {
	killGroup(ch.pid)
	if cg != nil {
		cg.kill(ch.pid) // everything the run started, wherever it went
	}
	killTree(descendants)
	killTree(orphans(ch.pid))
	err := ch.cmd.Wait()
	if ch.probing {
		// The rest of the reports, up to EOF; a process outside the group
		// that still holds the pipe cannot hold the run beyond WaitDelay.
		ch.pr.SetReadDeadline(time.Now().Add(ch.cmd.WaitDelay))
		ch.probe.readAll(ch.pr)
	}
	return err
}
