package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
)

func mergeFlags(fs *flag.FlagSet) verb {
	out := fs.String("out", "", "folder to write the merged results to (required)")
	partial := fs.Bool("allow-partial", false, "merge a set of shards with some missing, and say which")
	return func(_ context.Context, e *env, dirs []string) int { return cmdMerge(e, dirs, *out, *partial) }
}

func cmdMerge(e *env, dirs []string, out string, partial bool) int {
	if out == "" || len(dirs) == 0 {
		return usageError(e, "merge", errors.New("give the shard folders and --out DIR, e.g. bpbench merge out-0 out-1 --out merged"))
	}
	for _, d := range dirs {
		if sameDir(d, out) {
			return usageError(e, "merge", fmt.Errorf("%s is both an input and the --out folder: merging into it would replace a shard; choose another --out", d))
		}
	}
	merged, err := results.Merge(dirs, results.MergeOptions{AllowPartial: partial})
	if err != nil {
		return usageError(e, "merge", err)
	}
	if err := results.CheckOut(out); err != nil {
		return usageError(e, "merge", err)
	}
	if _, err := checkOutDir(out); err != nil {
		return usageError(e, "merge", err)
	}
	unlock, code := claimOut(e, "merge", out)
	if unlock == nil {
		return code
	}
	defer unlock()
	if err := merged.WriteDir(out); err != nil {
		fmt.Fprintf(e.stderr, "bpbench merge: writing %s: %v\n", out, err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "merged %d runs from %d folders into %s\n", len(merged.Runs), len(dirs), out)
	if len(merged.Missing) > 0 {
		fmt.Fprintf(e.stdout, "partial: shard %s of %d missing (--allow-partial); their cells are not in %s\n", strings.Join(merged.Missing, ", "), merged.Shards, out)
	}
	return exitOK
}

// sameDir reports whether a and b name the same folder (or would).
func sameDir(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(fa, fb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}
