// Package pace is what the example programs share about byte rates: the
// sizes and rates on their command lines (GOMEMLIMIT syntax, as bpbench's
// own flags), and pacing a stream of bytes to a rate.
package pace

import (
	"context"
	"flag"
	"time"

	"github.com/bpbench/bpbench/internal/size"
)

// SizeVar defines a flag holding a byte size ("64KiB", "8MiB", "4096") in
// *p, whose value on entry is the default.
func SizeVar(fs *flag.FlagSet, p *int64, name, usage string) {
	fs.Func(name, usage+" (default "+size.Format(*p)+")", func(s string) error {
		n, err := size.Parse(s)
		*p = n
		return err
	})
}

// Due is when a stream started at start and moving rate bytes per second
// has moved n bytes.
func Due(start time.Time, n, rate int64) time.Time {
	return start.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
}

// Until waits until t or until ctx is done, and reports whether t came
// (false once ctx is done, even if t has passed).
func Until(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
