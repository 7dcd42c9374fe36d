package main

import (
	"context"

	"github.com/bpbench/bpbench/internal/child"
)

// cmdWorkload runs one workload in this process: what the harness's child
// runs when the lean bpbench-workload binary is not at hand.
func cmdWorkload(ctx context.Context, e *env, args []string) int {
	return child.Main(ctx, "bpbench workload", args, e.stdin, e.stdout, e.stderr)
}
