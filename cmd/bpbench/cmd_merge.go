package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/bpbench/bpbench/harness"
)

func cmdMerge(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "merge", "DIR... --out DIR")
	out := fs.String("out", "", "folder to write the merged results to (required)")
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(e, "merge", err)
	}
	if *out == "" || len(dirs) == 0 {
		return usageError(e, "merge", errors.New("give the shard folders and --out DIR, e.g. bpbench merge out-0 out-1 --out merged"))
	}
	res, err := harness.Merge(dirs)
	if err != nil {
		return usageError(e, "merge", err)
	}
	if _, err := checkOutDir(*out); err != nil {
		return usageError(e, "merge", err)
	}
	if err := res.WriteDir(*out); err != nil {
		fmt.Fprintf(e.stderr, "bpbench merge: writing %s: %v\n", *out, err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "merged %d runs from %d folders into %s\n", len(res.Runs), len(dirs), *out)
	return exitOK
}
