package harness

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// ErrInvalidConfig is wrapped by every error of Config.Validate, so a
// caller can tell a refused configuration from a failure to run with
// errors.Is.
var ErrInvalidConfig = errors.New("harness: invalid configuration")

// A ConfigError is a Config that Run refuses: which field, its value, and
// why. It wraps ErrInvalidConfig. Callers that took the field from a flag
// render it with the flag's name (Field, Value and Reason carry no
// spelling of their own).
type ConfigError struct {
	Field  string // the Config field: "Count", "MemLimit", "HardLimit", "Timeout", "WarmupTimeout", "Shard", "CgroupRoot", "Duration", "Grace", "Ready", "ReadyTimeout", "Load"
	Value  string // the value refused, as Go formats it (sizes in bytes)
	Reason string // what is wrong and what to do, without the field's name
	Err    error  // a more specific cause (ErrBadShard), or nil
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("harness: Config.%s %s: %s", e.Field, e.Value, e.Reason)
}

// Unwrap gives ErrInvalidConfig and the specific cause, when there is one.
func (e *ConfigError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidConfig, e.Err}
	}
	return []error{ErrInvalidConfig}
}

// Validate reports whether Run can honour c's caps and counts: Count,
// MemLimit, HardLimit, Timeout and WarmupTimeout zero or more, a hard
// limit (when set) at or above the memory limit, so that a cap can fire
// only above what GOMEMLIMIT lets the Go runtime use, a valid Shard, and
// a consistent long-running window: Duration, Grace and ReadyTimeout zero
// or more, Ready and Load only with a Duration, Ready in its syntax (see
// ParseReady), and a Timeout of 0 or at least the Duration. A zero field takes its documented default and is always valid; a
// negative Interval (no sampling) is valid too. The cells are checked by
// Run. The error is a *ConfigError.
func (c Config) Validate() error {
	bad := func(field string, v any, reason string) error {
		return &ConfigError{Field: field, Value: fmt.Sprint(v), Reason: reason}
	}
	switch {
	case c.Count < 0:
		return bad("Count", c.Count, "negative: give 1 or more repetitions (0 means 1)")
	case c.MemLimit < 0:
		return bad("MemLimit", c.MemLimit, "negative: give zero (no GOMEMLIMIT) or more bytes")
	case c.HardLimit < 0:
		return bad("HardLimit", c.HardLimit, "negative: give zero (the default cap) or more bytes")
	case c.HardLimit > 0 && c.HardLimit < c.MemLimit:
		return bad("HardLimit", c.HardLimit, fmt.Sprintf("below MemLimit %d: the hard cap must sit at or above GOMEMLIMIT, or a drain-aware run is killed for memory the Go runtime may use", c.MemLimit))
	case c.Timeout < 0:
		return bad("Timeout", c.Timeout, "negative: give a positive duration, or 0 for none")
	case c.CgroupRoot != "" && c.CgroupRoot != noCgroup && !filepath.IsAbs(c.CgroupRoot):
		return bad("CgroupRoot", c.CgroupRoot, `not an absolute path: give the cgroup folder to make the runs' cgroups in, "" to find the one bpbench runs in, or "none" for the watchdog alone`)
	case c.Duration < 0:
		return bad("Duration", c.Duration, "negative: give a positive duration, or 0 for runs that end by themselves")
	case c.Grace < 0:
		return bad("Grace", c.Grace, fmt.Sprintf("negative: give a positive duration, or 0 for the default %v", time.Duration(DefaultGrace)))
	case c.ReadyTimeout < 0:
		return bad("ReadyTimeout", c.ReadyTimeout, fmt.Sprintf("negative: give a positive duration, or 0 for the default %v", time.Duration(DefaultReadyTimeout)))
	case c.Duration == 0 && c.Ready != "":
		return bad("Ready", c.Ready, "needs a Duration: a readiness check starts the window of a long-running program")
	case c.Duration == 0 && c.Load != "":
		return bad("Load", c.Load, "needs a Duration: a load generator runs during the window of a long-running program")
	case c.Duration > 0 && c.Timeout > 0 && c.Timeout < c.Duration:
		return bad("Timeout", c.Timeout, fmt.Sprintf("shorter than Duration %v: every run would time out before its window ends; give a Timeout of at least the Duration, or 0", c.Duration))
	case c.WarmupTimeout < 0:
		return bad("WarmupTimeout", c.WarmupTimeout, fmt.Sprintf("negative: give a positive duration, or 0 for the default %v", time.Duration(DefaultWarmupTimeout)))
	}
	if c.Ready != "" {
		if _, err := ParseReady(c.Ready); err != nil {
			return &ConfigError{Field: "Ready", Value: c.Ready, Reason: err.Error()}
		}
	}
	if err := c.Shard.check(); err != nil {
		return &ConfigError{Field: "Shard", Value: fmt.Sprintf("%d/%d", c.Shard.I, c.Shard.N), Reason: "want 0 <= I < N, e.g. 0/3", Err: err}
	}
	return nil
}
