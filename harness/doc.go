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
// everything the child starts: a process whose parent exits during a run
// is reparented to the harness and belongs to that run — sampled, capped
// and, when the run ends, killed and reaped with the rest.
//
// # The cap model
//
// GOMEMLIMIT is soft: the Go runtime collects harder as it nears the limit
// but never refuses memory. A container's limit is hard, and it is the
// kernel's. The harness gives the child GOMEMLIMIT=Config.MemLimit and a
// hard cap of Config.HardLimit (default HardLimitFactor × MemLimit, i.e.
// 1.25×), enforced by one of two mechanisms, recorded per run as
// results.Machine.CapMechanism:
//
//   - cgroup2 or cgroup1: each run gets its own memory cgroup,
//     bpbench-PID-N, made before the program starts in the cgroup the
//     harness runs in (Config.CgroupRoot injects another) and removed
//     after it. The program runs its first instruction inside it: under
//     cgroup v2 the kernel clones the child into it (CLONE_INTO_CGROUP);
//     under v1, where that cannot be done, the harness starts its own
//     executable, whose package initialization writes its pid to the
//     cgroup's cgroup.procs and execs the program (any program that links
//     the harness does this; a close-on-exec pipe tells the harness when
//     the program runs, or why it could not). v2 sets memory.max to the
//     hard cap, memory.swap.max to 0 and memory.oom.group to 1; v1 sets
//     memory.limit_in_bytes and, where swap is accounted,
//     memory.memsw.limit_in_bytes. The kernel's OOM killer acts at the
//     cap: the cgroup's peak (memory.peak, memory.max_usage_in_bytes)
//     never passes it but for the few pages the kernel forces (charges
//     that may not fail, a dying task's), and its oom_kill count
//     (memory.events, memory.oom_control) says it fired. Nothing the
//     program starts can leave the cgroup — setsid, a double fork, a
//     daemon — so at the end the harness kills every process in it
//     (cgroup.kill, or each pid of cgroup.procs until none is left) and
//     removes it. If the harness itself is killed (kill -9), the cgroup
//     outlives it with whatever was in it; the next Run kills those
//     processes and removes every bpbench-PID-… cgroup whose PID is gone.
//
//     Under cgroup v2 the memory controller must be enabled in the
//     folder's cgroup.subtree_control, and the no-internal-processes rule
//     forbids that while the folder holds processes (its root excepted).
//     When it is not enabled already, the harness enables it in an empty
//     folder; when the harness is alone in its folder (a systemd scope
//     started with Delegate=yes), it first moves itself into a leaf,
//     bpbench-PID-self, and moves back when Run returns; when other
//     processes share the folder, it uses the watchdog.
//
//     The cgroupfs work is a few reads and writes of its files, done with
//     the standard library: containerd/cgroups enables the memory
//     controller in every ancestor from the mount point down and has no
//     way to enter a v1 cgroup or kill one, and opencontainers/cgroups
//     works only on a real cgroupfs.
//
//   - watchdog: where no memory cgroup can be made (no root and no
//     delegated subtree, a read-only cgroupfs, another OS), the harness
//     compares the tree's memory with the cap at every sample and at least
//     every 5ms whatever the sampling interval, and — once within 3/4 of
//     the cap or growing fast enough to reach it within two periods —
//     every millisecond, with a single pread of /proc/PID/statm per
//     process; summed RSS above the cap is checked against the tree's PSS
//     before it kills. The moment the cap is crossed it sends SIGKILL to
//     the child's process group and records the run as oom with its time
//     to OOM. The overshoot is what the tree can fault in within about a
//     millisecond plus the kill's delivery: tens of percent for a fast
//     grower. Each run records why no cgroup was used (results.Run.CapNote).
//
// bpbench run's summary prints the mechanism once. To get a cgroup: run
// as root (sudo -E, as on GitHub's runners), in a delegated subtree
// (systemd-run --user --scope -p Delegate=yes), or in a container with a
// writable cgroupfs.
//
// # Peaks
//
// peak-RSS-B is the process tree's resident peak with shared pages counted
// once: the child's RSS while it is alone, and while it has descendants
// the sum of every process's PSS (Pss in /proc/PID/smaps_rollup, where a
// page shared by n processes counts 1/n in each), so 20 forked children
// sharing their parent's 20MiB count 20MiB, not 400MiB. The cgroup's own
// peak is another figure, results.Run.CgroupPeakBytes: every page charged
// to the cgroup, page cache and kernel memory included, and none of the
// pages the program maps that another cgroup was charged for (a binary
// already in the page cache).
//
// # Outcomes
//
// ok (exit 0), oom, timeout (still running at Config.Timeout; killed),
// crash (nonzero exit, panic, any other signal) and interrupted (Run's ctx
// was cancelled, e.g. by Ctrl-C, while the run was in progress; the
// child's group is killed and reaped). A run is oom only when the cap
// fired: the cgroup's oom_kill count rose (a grandchild killed at the cap
// while the shell that started it exits 0 included) or the watchdog
// killed it; also when the child dies of its own memory limit, printing
// Go's "fatal error: runtime: out of memory" or Node's "JavaScript heap
// out of memory". A SIGKILL nobody counted — the program's own, or a kill
// at a few MiB — is a crash with its signal; under the watchdog, where no
// cgroup counts, a SIGKILL during which the machine's OOM-kill count
// (/proc/vmstat oom_kill) rose is an oom. A run whose cell expects the
// probe (Cell.Probe) but that never reported stopped before its workload
// started, or is not the program expected (a --baseline-bin that is not
// bpbench): it is marked not started, and is never ok even when it exits
// 0. Every outcome keeps its samples up to the end. Interrupted runs are
// written to runs.json but not to results.txt: they measure the user, not
// the workload.
//
// # Long-running programs
//
// With Config.Duration a run's program is a server or any program that
// runs until it is stopped. It starts under the same cap as every run;
// the harness runs the readiness check (Config.Ready: a TCP port that
// accepts a connection, or a shell command run every 50ms until it exits
// 0) until it passes, for at most Config.ReadyTimeout; then it starts the
// load generator (Config.Load, a shell command in its own process group,
// outside the cap, not sampled) and the window: Duration later it sends
// SIGTERM to the load's group and to the program's, and SIGKILL to
// either still running Config.Grace after. Readiness checks and the load
// are this process's children like the run's orphans, and are told apart
// by their process group. The run records when it was ready and stopped
// (results.Run.ReadySeconds, StoppedSeconds) and the load's exit status
// and the last 64KiB of its output (results.Run.Load), so that readers
// judge the steady part of the window.
//
// Outcomes: a program alive at the end of the window, within its cap, is
// ok however it then exits, its stop included (SIGKILL after the grace
// is noted); a program that exits before the window ends, even with
// status 0, is a crash ("exited ... before it ended"): a long-running
// program is expected to run until it is stopped. One never ready is
// killed (its whole cgroup and group, the load not started), recorded as
// a crash that did not start, and Run stops the suite with a
// *NotReadyError. A load generator that fails (cannot start, exits
// nonzero or dies of a signal it was not sent) is noted on the run, which
// is kept. Duration turns off the warm-up runs: the window's own warm-up
// fraction serves.
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
// reports at exit, the VmHWM read while sampling and the tree's samples
// (see Peaks). The
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
