//go:build !linux

package harness

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// Run needs Linux: /proc for RSS and VmHWM, process groups, the subreaper
// and waitid. Elsewhere Run returns unsupportedError and these stand-ins
// are never reached.
func supported() error { return unsupportedError{} }

// unsupportedError says Run needs Linux; it is errors.ErrUnsupported.
type unsupportedError struct{}

func (unsupportedError) Error() string {
	return "harness: running workloads is not supported on " + runtime.GOOS + ": the memory caps and RSS sampling need Linux (/proc, process groups); run on Linux, or merge and compare results made there"
}

func (unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

type procFiles struct {
	outside  *pidSet
	attached bool
}

func openProc(pid int) (*procFiles, error) {
	return nil, unsupportedError{}
}
func (p *procFiles) close()             {}
func (p *procFiles) rss() int64         { return 0 }
func (p *procFiles) pss() int64         { return 0 }
func (p *procFiles) alone() bool        { return true }
func (p *procFiles) refresh() int       { return 0 }
func (p *procFiles) descendants() []int { return nil }
func becomeSubreaper() error            { return supported() }
func killTree(pids []int)               {}
func processAlive(pid int) bool         { return false }
func orphans(leader int) []int          { return nil }
func (p *procFiles) hwm() int64         { return 0 }
func sysProcAttr() *syscall.SysProcAttr { return nil }
func enterCgroup(*exec.Cmd, *runCgroup) (r, w *os.File, err error) {
	return nil, nil, supported()
}
func killGroup(pid int) error                        { return supported() }
func waitExited(pid int) error                       { return supported() }
func watchable(pid int) error                        { return supported() }
func processName(pid int) string                     { return "" }
func processArgv(pid int) []string                   { return nil }
func isZombie(pid int) bool                          { return false }
func termGroup(pid int) error                        { return supported() }
func getpgid(pid int) (int, error)                   { return 0, supported() }
func exitInfo(ps *os.ProcessState) (int, string)     { return ps.ExitCode(), "" }
func rusageMaxRSS(ps *os.ProcessState) int64         { return 0 }
func readNonblock(fd uintptr, b []byte) (int, error) { return 0, supported() }
func cpuName() string                                { return "" }
