//go:build !linux

package harness

import "errors"

type cgroupHost struct {
	version int
	dir     string
}

type runCgroup struct{ host *cgroupHost }

func openCgroupHost(string) (*cgroupHost, string) { return nil, "cgroups need Linux" }
func (h *cgroupHost) close()                      {}
func (h *cgroupHost) newRun(int64) (*runCgroup, error) {
	return nil, errors.ErrUnsupported
}
func (cg *runCgroup) oomKills() int64   { return -1 }
func (cg *runCgroup) peak() int64       { return -1 }
func (cg *runCgroup) kill(int)          {}
func (cg *runCgroup) remove() error     { return nil }
func (cg *runCgroup) procsFile() string { return "" }
func vmstatOOMKills() int64             { return -1 }
func joinAndExec(int, string, []string) error {
	return errors.ErrUnsupported
}
