// Command bpbench is a memory-safety benchmark and regression harness for
// stream backpressure. It runs paired workloads — the same producer once
// honouring write()'s false and waiting for drain, once ignoring it — as
// child processes under memory caps, samples their memory over time, and
// writes results that the standard benchstat reads unchanged.
//
// Usage:
//
//	bpbench run [flags]                       run the suite, write an output folder, print a summary
//	bpbench list [-v]                         workloads, variants, parameters and defaults
//	bpbench workload NAME [flags]             run one workload in this process
//	bpbench merge DIR... --out DIR            merge the folders of several shards
//
// # bpbench run
//
// With no flags, run measures every workload of bpbench list, both
// variants, 3 times each, interleaved (rep 0 of every cell, then rep 1, …)
// after a short warm-up, each in its own child process with GOMEMLIMIT=128MiB
// (the seed's --max-old-space-size=128) and a hard cap at 1.5× that: a
// watchdog kills a child whose RSS crosses the cap and records outcome oom.
// Flags:
//
//	--workload GLOB[,GLOB]  workloads to run (default all), e.g. 'tight-*'
//	--variant drain|naive|both
//	--count N               runs per cell (default 3)
//	--memlimit SIZE         GOMEMLIMIT for Go children, --max-old-space-size for node (default 128MiB)
//	--hard-limit SIZE       RSS cap enforced by the watchdog (default 1.5 × memlimit)
//	--interval DUR          sampling interval (default 5ms)
//	--timeout DUR           per-run limit, outcome timeout (default 2m; 0 for none)
//	--out DIR               output folder (default bpbench-out)
//	--shard I/N             run only every N-th run starting at I; combine with bpbench merge
//	--warmup=false          skip the warm-up
//	--cmd 'COMMAND'         measure your own command (sh -c) under the same caps, RSS only
//	--lines N, --hwm SIZE[,SIZE…], --sink PATH|null, --rate SIZE, --input-size SIZE
//	                        workload parameters, applied to the workloads that use them;
//	                        a list of --hwm values sweeps the highWaterMark
//
// Sizes use GOMEMLIMIT syntax: plain bytes or a number with B, KiB, MiB,
// GiB. Outcomes: ok, oom (killed at the hard cap, or died out of memory),
// timeout, crash (nonzero exit, panic, signal), interrupted (Ctrl-C). A
// killed or crashed run is a measurement: it keeps its samples and its
// outcome, and run still exits 0.
//
// # Output folder
//
//	results.txt    Go benchmark format: benchstat -col /variant results.txt
//	               puts drain and naive side by side (sec/op, peak-RSS-B,
//	               peak-heap-B, max-buffered-B, oom-runs, failed-runs)
//	runs.json      one object per run: workload, variant, params, rep,
//	               outcome, wall_seconds, peak_rss_bytes, peak_heap_bytes,
//	               max_buffered_bytes, time_to_oom_seconds, samples, ...
//	samples/*.csv  one time series per run: t_seconds, rss_bytes,
//	               heap_bytes, buffered_bytes, ...
//
// Files are written to temporary names and renamed, so a folder is never
// half-written. Peak RSS is the child's own (its VmHWM and the samples),
// never the parent's rusage, which on Linux starts at the harness's size.
//
// Each run gets a fresh temporary working folder, removed afterwards, so the
// workloads' default output files (big-output.txt, huge.log.gz) never pile
// up; a --sink path is taken relative to where bpbench runs. The generated
// inputs of gzip-pipeline and slow-consumer are cached in
// $TMPDIR/bpbench-input and reused by later runs (the warm-up creates them).
//
// # bpbench workload
//
// bpbench workload NAME --variant drain|naive [--lines N] [--hwm SIZE]
// [--sink PATH|null] [--rate SIZE] [--input-size SIZE] runs one workload
// here, like node script.js, and prints its stream counters to stderr (-q
// to silence). It is exactly what the harness's child runs.
//
// # Exit codes
//
// 0 ok; 1 a run could not be measured at all (or Ctrl-C stopped the suite;
// what was measured is still written); 2 bad usage or unreadable input,
// with a message naming the problem and the fix, before anything runs.
package main
