package harness

// This file is the one adapter to gopsutil: the harness samples a child's
// resident set size "from outside" through it, the way a monitoring agent
// would. The watchdog does not use it; it reads /proc itself (proc_linux.go)
// because it must act within one sampling interval.

import (
	"context"

	"github.com/shirou/gopsutil/v3/process"
)

// rssSampler reads one process's resident set size with gopsutil.
type rssSampler struct {
	p *process.Process
}

// newRSSSampler returns a sampler for pid. It fails if pid is not running.
func newRSSSampler(ctx context.Context, pid int) (*rssSampler, error) {
	p, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return nil, err
	}
	return &rssSampler{p: p}, nil
}

// rss returns the process's resident set size in bytes; 0 once it has exited.
func (s *rssSampler) rss(ctx context.Context) (int64, error) {
	mi, err := s.p.MemoryInfoWithContext(ctx)
	if err != nil {
		return 0, err
	}
	return int64(mi.RSS), nil
}
