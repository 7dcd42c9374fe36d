// Command bpbench-workload runs one bpbench workload, exactly as
// bpbench workload NAME does, without bpbench's reporting and plotting code:
// it is the lean child the harness starts for each run, so that the peak RSS
// it measures is the workload's. go install ./cmd/... puts it beside
// bpbench, where bpbench run finds it; bpbench run also builds it on demand
// when it runs from its source tree (go run ./cmd/bpbench run).
//
// Usage:
//
//	bpbench-workload NAME [--variant drain|naive|drain-on] [--lines N] [--hwm SIZE] [--sink PATH|null] [--rate SIZE] [--input-size SIZE] [-q]
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bpbench/bpbench/internal/child"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := child.Main(ctx, "bpbench-workload", os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
