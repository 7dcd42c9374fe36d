// Package results is the format of a bpbench output folder, and nothing
// else: the types of a measured run and its time series, writing a folder
// atomically, reading it back with validation, and merging the folders of
// several shards. harness writes folders with it; reports and the command
// read them with it. It imports only the standard library,
// golang.org/x/perf/benchfmt and internal/size, so a reader never pulls in
// the process-spawning harness.
//
// # The folder
//
//	results.txt    Go benchmark format (benchfmt), readable unchanged by benchstat
//	runs.json      one object per run (Run), for scripts
//	samples/ID.csv one time series per run (Sample), header SamplesHeader
//
// Every file is written to a temporary name in its final directory and
// renamed into place once all were written, results.txt last, so a reader
// never sees a half-written file and a failed write replaces nothing.
//
// # results.txt
//
// One benchmark line per run that was not interrupted, named
// BenchmarkBENCH/variant=V/KEY=VALUE… (Run.Name) so that `benchstat -col
// /variant results.txt` pairs drain and naive. File configuration lines
// carry goos, goarch, cpu, commit, memlimit, hardlimit and, for a run
// measured against a baseline binary (--baseline-bin), side: base or head
// (`benchstat -col side`). The units:
//
//	sec/op           wall time of a run that finished (outcome ok); absent
//	                 for oom, timeout and crash, so a run killed after 2s
//	                 never looks faster than one that finished in 8s
//	peak-RSS-B       the child's peak resident set size
//	peak-heap-B      the Go heap's peak (/memory/classes/heap/objects:bytes), probe only
//	max-buffered-B   the streams' buffered bytes at their peak (the sum of each
//	                 stream's own peak writableLength), probe only
//	oom-runs         1 for a run killed out of memory, else 0: its mean is the oom fraction
//	failed-runs      1 for a timeout or crash, else 0
//	time-to-oom-sec  seconds from start to the kill, oom runs only
//
// peak-RSS-B, peak-heap-B, max-buffered-B, oom-runs and failed-runs are
// declared with `Unit X better=lower` metadata, time-to-oom-sec with
// better=higher (a run that dies later grows more slowly).
package results
