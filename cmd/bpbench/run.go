package main

import (
	"context"
	"fmt"
	"io"
)

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "run" {
		fmt.Fprintln(stdout, "bpbench run: the harness has not landed yet; nothing to measure.")
		return 0
	}
	if args[0] == "list" {
		return 0
	}
	fmt.Fprintf(stderr, "bpbench: unknown command %q\n", args[0])
	return 2
}
