//go:build !linux

package machine

import "github.com/bpbench/bpbench/internal/results"

// readSystem: memory, kernel and load average are not supported off
// Linux; they stay zero (not recorded).
func readSystem(*results.Machine) {}
