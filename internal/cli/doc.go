// Package cli is everything about the command line that more than one of
// bpbench's verbs shares: flags and positional arguments parsed in any
// order (ParseInterleaved), the typed error of a command line bpbench
// refuses (UsageError, exit 2), and the workload parameter flags
// (--lines, --hwm, --sink, --rate, --input-size) that become a
// workloads.Params, with the workloads' structured errors rendered as
// flags.
//
// The cap flags of run and tune (--count, --memlimit, --hard-limit,
// --interval, --timeout, ...) are in the subpackage caps, because they
// build a harness.Config and the lean child (bpbench-workload), which uses
// this package, must not link the harness.
package cli
