package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/bpbench/bpbench/workloads"
)

func listFlags(fs *flag.FlagSet) verb {
	verbose := fs.Bool("v", false, "also print the example each workload reproduces and its model")
	return func(_ context.Context, e *env, pos []string) int { return cmdList(e, pos, *verbose) }
}

func cmdList(e *env, pos []string, verbose bool) int {
	if len(pos) > 0 {
		return usageError(e, "list", fmt.Errorf("unexpected argument %q: bpbench list takes only -v (bpbench workload NAME runs one)", pos[0]))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tVARIANTS\tPARAMETERS (defaults)")
	for _, w := range workloads.All() {
		var ps []string
		for _, n := range w.Uses {
			ps = append(ps, "--"+n+" "+w.Defaults.Value(n))
		}
		vs := make([]string, len(w.Variants))
		for i, v := range w.Variants {
			vs[i] = string(v)
		}
		name := w.Name
		if w.External() {
			name += " (node)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, strings.Join(vs, ","), strings.Join(ps, " "))
		if verbose {
			fmt.Fprintf(tw, "  example:\t%s\n  model:\t%s\n", w.Seed, w.Model)
		}
	}
	tw.Flush()
	return exitOK
}
