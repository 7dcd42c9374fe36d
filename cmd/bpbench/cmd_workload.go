package main

import (
	"context"
	"flag"

	"github.com/bpbench/bpbench/internal/child"
)

// workloadFlags are bpbench workload's: it runs one workload in this
// process, what the harness's child runs when the lean bpbench-workload
// binary is not at hand.
func workloadFlags(fs *flag.FlagSet) verb {
	f := child.AddFlags(fs)
	return func(ctx context.Context, e *env, pos []string) int {
		return child.Run(ctx, "bpbench workload", f, pos, e.stdin, e.stdout, e.stderr)
	}
}
