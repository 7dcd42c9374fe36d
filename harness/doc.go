// Package harness runs benchmark workloads as child processes under memory
// caps, samples their memory over time, and classifies how each run ended,
// returning what it measured as a results.Set. That is its one job: it
// knows a workload only as a Cell (a command line, a name and parameters),
// and leaves writing the output folder to internal/results and comparing
// results to the tools that read it (reports; benchstat reads results.txt
// unchanged).
//
// # Runs
//
// Run starts one child per run, one at a time. A suite's runs are
// interleaved — rep 0 of every cell, then rep 1, and so on — so that drift
// in the machine (thermal, page cache, a noisy neighbour) spreads over all
// cells instead of landing on one; within a group of cells (one benchmark
// and its parameters: both variants and, with Cell.Side, both the base and
// the head binary) odd reps run in reverse order. Config.Shard keeps whole
// groups on one machine, dealt by expected time, so every pair is compared
// on the same hardware, and results.Merge puts the shards back together. Config.Warmup first runs each cell once, capped at
// Config.WarmupTimeout, and discards it.
//
// Each child runs in its own process group, in a fresh temporary directory
// unless the cell names one (named bpbench-run-PID-…, so that a later Run
// removes it if this harness was killed first), with stdin and stdout on
// /dev/null and the last 4KiB of stderr kept for diagnosis. The child is
// killed if the harness dies (Pdeathsig). The harness is the subreaper of
// everything the child starts: when a run ends its group, the descendants
// last seen and any orphan reparented to the harness (a grandchild that
// left the group with setsid) are killed and reaped, so nothing a run
// started outlives it.
//
// # The cap model
//
// GOMEMLIMIT is soft: the Go runtime collects harder as it nears the limit
// but never refuses memory. A container's limit is hard. The harness
// therefore gives the child GOMEMLIMIT=Config.MemLimit and enforces a hard
// cap itself: a watchdog compares the child's resident set size with
// Config.HardLimit (default HardLimitFactor × MemLimit, i.e. 1.25×) at every
// sample and at least every 5ms whatever the sampling interval, and — once
// the RSS is above 3/4 of the cap or growing fast enough to reach it within
// two periods — every millisecond, with a single pread of /proc/PID/statm
// per process. The RSS it watches is the whole tree's: the child and every
// descendant found through /proc/PID/task/TID/children at each sample, so
// a shell that forks the real program (dash does for "cmd; true") is
// measured and capped with it. The moment the cap is crossed it sends
// SIGKILL to the child's process group and records the run as outcome
// "oom" with its time to OOM. The overshoot past the cap is what the child
// can fault in within about a millisecond plus the kill's delivery.
//
// cgroups are not used: a cgroup v2 memory.max would need a writable,
// delegated cgroup, which CI runners and containers seldom give, and the
// watchdog works everywhere /proc does. A child killed by SIGKILL that the
// harness did not send — the kernel's or a container's OOM killer — is
// also recorded as "oom", as is a child that dies printing Go's "fatal
// error: runtime: out of memory" or Node's "JavaScript heap out of memory".
//
// # Outcomes
//
// ok (exit 0), oom (above), timeout (still running at Config.Timeout;
// killed), crash (nonzero exit, panic, any other signal) and interrupted
// (Run's ctx was cancelled, e.g. by Ctrl-C, while the run was in progress;
// the child's group is killed and reaped). Every outcome keeps its samples
// up to the end. Interrupted runs are written to runs.json but not to
// results.txt: they measure the user, not the workload.
//
// # Samples
//
// Every Config.Interval (default 5ms) the harness samples the child's RSS
// from outside through gopsutil and reads its VmHWM from /proc/PID/status.
// A Go program that calls probe.Start also reports, over a pipe inherited
// as file descriptor 3 (BPBENCH_PROBE_FD=3), its Go heap and GC figures
// from runtime/metrics and its stream statistics (buffered bytes, false
// returns, drains, drain wait, bytes written) at the same interval, and a
// final line with its own VmHWM when it stops; package probe documents the
// line grammar. The two sources are merged into one time
// series per run, samples/ID.csv, one row per parent sample carrying the
// latest probe report, plus a final row with the probe's last report.
// The harness reads the pipe without blocking at each sample, so the probe
// costs it no extra goroutine or wake-up.
//
// The peak RSS of a run is the child's own: the largest of the VmHWM it
// reports at exit, the VmHWM read while sampling and the RSS samples. The
// kernel's ru_maxrss is not trusted on its own, because a child started
// by vfork+exec inherits its parent's high-water mark; it is used only
// when it exceeds the harness's own VmHWM, which proves it is the
// child's. So a command that is smaller than the harness and exits
// between two samples has only the VmHWM read just after it started; Go
// workloads report their own at exit.
//
// # Output folder
//
// Run returns a results.Set; package internal/results owns the folder's
// format (results.txt, runs.json, samples/*.csv), writes it atomically,
// reads it back and merges shards.
//
// Running children needs Linux (/proc, process groups, waitid); elsewhere
// Run returns an error that is errors.ErrUnsupported. ParseShard and the
// types work on every platform, as do the packages that read the results
// (internal/results, reports) and probe.Start in a workload.
package harness
