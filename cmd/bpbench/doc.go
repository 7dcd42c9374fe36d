// Command bpbench is a memory-safety benchmark and regression harness for
// stream backpressure. It runs paired workloads — the same producer once
// honouring write()'s false and waiting for drain, once ignoring it — as
// child processes under memory caps, samples their memory over time, and
// writes results that the standard benchstat reads unchanged.
//
// Usage:
//
//	bpbench run [flags]
//	        run the paired suite under memory caps and write an output folder
//	bpbench list [-v]
//	        list workloads with their variants, parameters and defaults
//	bpbench workload NAME [--variant drain|naive|drain-on] [--lines N] [--hwm SIZE] [--sink PATH|null] [--rate SIZE] [--input-size SIZE] [-q]
//	        run one workload in this process (what the harness's child runs)
//	bpbench compare OLD [NEW] [--format text|markdown|csv|json] [--alpha P]
//	        benchstat-style table: drain vs naive in one folder, or OLD vs NEW
//	bpbench gate --baseline OLD NEW | DIR [--threshold UNIT=PCT]... [flags]
//	        exit 1 when NEW regressed against OLD (or head against base in DIR), saying why
//	bpbench plot DIR [--format svg|png] [--out DIR]
//	        memory curves and summary charts of an output folder
//	bpbench report DIR [--baseline DIR] [--format svg|png]
//	        one-file report.html (and report.md) with the verdict, tables and charts
//	bpbench tune --workload NAME | --cmd 'CMD {hwm}' --budget SIZE [flags]
//	        sweep the highWaterMark and recommend one that fits a memory budget
//	bpbench watch PID [--for 5m] [--interval 1s] [--out DIR] [--threshold MiB/min]
//	        sample a running process's memory, write an output folder, exit 1 when it grows faster than the threshold
//	bpbench merge DIR... --out DIR [--allow-partial]
//	        merge output folders of shards (--shard I/N) into one
//	bpbench history [add DIR | check | export | plot] [--db PATH] [--benchmark GLOB] [--metric UNIT] [--format F] [flags]
//	        keep result sets across commits; list, check, export or plot their change points
//
// # bpbench run
//
// With no flags, run measures every workload of bpbench list, every
// variant, 6 times each (enough for a 95% confidence interval in compare
// and the gate, which benchmath gives from 6 runs on, and for the gate's
// significance test, from 4),
// interleaved (rep 0 of every cell, then rep 1, …) after a short warm-up,
// each in its own child process with GOMEMLIMIT=128MiB (the backpressure
// guide's example runs node --max-old-space-size=128) and a hard cap at 1.25× that (160MiB, a
// container whose GOMEMLIMIT is 80% of its limit), enforced by the kernel
// in a memory cgroup per run where bpbench may make one (else by a
// watchdog over the process tree's memory): a child at the cap is killed
// and recorded oom. The defaults
// are sized to finish in about half a minute on 2 cores, as a CI gate
// needs: for a longer, quieter measurement raise --count (10) and the
// pipelines' --input-size (64MiB). The child is the
// lean bpbench-workload, which carries none of bpbench's reporting code:
// beside bpbench (go install ./cmd/... installs both), or built on demand
// into the user's cache when bpbench runs from its source tree (go run
// ./cmd/bpbench run); without it the child is bpbench workload, and run
// says its peaks include bpbench's plotting libraries and larger binary
// (about 9MiB more).
// Flags:
//
//	--workload GLOB[,GLOB]  workloads to run (default all), e.g. 'tight-*'
//	--variant V             drain, naive, drain-on, both (drain and naive) or all (default)
//	--count N               runs per cell (default 6)
//	--memlimit SIZE         GOMEMLIMIT for Go children, --max-old-space-size for node (default 128MiB)
//	--hard-limit SIZE       RSS cap enforced by the watchdog (default 1.25 × memlimit)
//	--interval DUR          sampling interval (default 5ms)
//	--timeout DUR           per-run limit, outcome timeout (default 2m; 0 for none)
//	--out DIR               output folder (default bpbench-out)
//	--shard I/N             run only shard I of N: whole cells (both variants, both sides),
//	                        dealt to shards by expected time; combine with bpbench merge
//	--baseline-bin PATH     also run every Go cell with this bpbench binary (a pull request's
//	                        base), interleaved with this one, into the same folder
//	--baseline-commit SHA   the commit --baseline-bin or --baseline-dir was built from, recorded in its runs
//	--warmup=false          skip the warm-up
//	--cmd 'COMMAND'         measure your own command under the same caps (see Your own programs)
//	--name NAME             the benchmark name of --cmd: BenchmarkCmd/name=NAME
//	--baseline-dir DIR      also run --cmd in DIR (a checkout of the base), interleaved, into the same folder
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
//	               puts drain and naive side by side; with --baseline-bin
//	               or --baseline-dir, benchstat -col side -ignore commit
//	               results.txt puts base and head side by side
//	runs.json      one object per run: workload, variant, params, rep,
//	               outcome, wall_seconds, peak_rss_bytes, peak_heap_bytes,
//	               max_buffered_bytes, time_to_oom_seconds, samples, ...
//	samples/*.csv  one time series per run: t_seconds, rss_bytes,
//	               heap_bytes, buffered_bytes, ...
//
// The folder is bpbench's: .bpbench-manifest.json lists every file a result
// set wrote (name, size, SHA-256), written last. A new result replaces
// exactly those files; a folder holding anything else (a report.md of
// yours, a symbolic link where samples/ or plots/ should be) is refused
// with exit 2, naming up to five of them, and nothing in it is deleted.
// A kill at any instant leaves either the old complete set or the new one:
// the new set is written into a private staging folder and published by
// one rename, and readers trust only files the manifest lists with their
// size and hash (a torn folder is refused, exit 2, with the fix). report,
// plot and tune add their files to the manifest the same way. Peak RSS is the child's own: its VmHWM and the samples of
// its process tree; the kernel's rusage counts only when it exceeds the
// harness's own peak (on Linux a child's rusage starts at its parent's).
//
// Exit codes of run: 0 every cell was measured (a naive run killed at the
// cap is a measurement); 1 a cell could not be measured at all (every run
// crashed, or stopped before its workload started) or the folder could not
// be written (the runs then go to a rescue folder it names); 2 bad usage,
// refused before anything runs; 130 interrupted (Ctrl-C, SIGTERM). An
// interrupted or failing run never replaces a complete earlier result in
// --out: it goes to OUT-partial-TIME beside it (TIME in UTC, so partial
// folders sort by time and never replace each other). The folder is locked
// while a run writes it.
//
// A hard cap above the memory this machine gives bpbench (MemTotal, or the
// memory cgroup bpbench runs in) cannot fire: run and tune refuse it with
// exit 2 (an explicit --hard-limit at or below it is accepted; --memlimit 0
// measures without a cap).
//
// Each run gets a fresh temporary working folder, removed afterwards, so the
// workloads' default output files (big-output.txt, huge.log.gz) never pile
// up; a --sink path is taken relative to where bpbench runs. The generated
// inputs of gzip-pipeline and slow-consumer are cached in
// $TMPDIR/bpbench-input-UID and reused by later runs (the warm-up creates them).
//
// The units of results.txt:
//
//	sec/op           wall time, only for runs that finished (outcome ok): a run
//	                 killed at the cap after 2s never looks faster than one that
//	                 finished in 8s; none for a --duration run, which lasts as
//	                 long as it was told to
//	peak-RSS-B       the child's peak resident set size (lower is better)
//	peak-heap-B      the heap's peak (Go's, or V8's for node), from the probe
//	                 (lower is better)
//	max-buffered-B   the streams' buffered bytes at their peak: the sum of
//	                 each stream's own peak, an upper bound of what they held
//	                 at once; from the probe (Go workloads, probe.Start, node)
//	                 (lower is better)
//	oom-runs         1 for a run killed out of memory, else 0: the mean is the
//	                 fraction of runs that died (lower is better)
//	failed-runs      1 for a timeout or crash, else 0 (lower is better)
//	time-to-oom-sec  seconds until an oom run was killed (higher is better:
//	                 it grew more slowly)
//	peak-cgroup-B    the run's memory cgroup's own peak, page cache and kernel
//	                 memory included (runs capped by a cgroup; lower is better)
//	writes-after-false, pushes-after-false, extra-drain-listeners
//	                 calls that ignored backpressure: writes while a drain was
//	                 owed, pushes after push() returned false (Node), drain
//	                 listeners added while one was attached; their first call
//	                 site is in runs.json (violations) (lower is better)
//
// Each result's configuration also names its cap: cap: cgroup2, cgroup1 or
// watchdog, beside memlimit: and hardlimit:.
//
// A run measured with --baseline-bin or --baseline-dir also carries the
// file configuration side: base or head, and its own commit. Because the
// two sides' commits differ, stock benchstat needs -ignore commit to put
// them in one table with the change between them:
//
//	benchstat -col side -ignore commit results.txt
//
// # Your own programs
//
// --cmd 'COMMAND' measures a program of yours under the same caps. A plain
// command line (a program and plain arguments) runs directly; a line with
// shell syntax (pipes, &&, variables, quotes, builtins such as exec or cd)
// runs with sh -c, and then the shell and every process it starts are
// measured and capped together. Whatever it starts is killed when the run
// ends, even a process that left the group with setsid.
//
// RSS comes from outside, for any program. A Go program that calls
// probe.Start (package github.com/bpbench/bpbench/probe: a few lines, free
// when not run by bpbench) also reports its Go heap and the buffers it
// registers; any node the command runs reports its V8 heap and its streams'
// writableLength and readableLength through a preload script bpbench
// injects with NODE_OPTIONS, without changing the program. Those figures
// become peak-heap-B and max-buffered-B in results.txt, curves in plots and
// reports, and metrics bpbench gate judges.
//
// The benchmark is BenchmarkCmd/name=NAME: --name NAME, or by default the
// command's words without their folders ("./bin/server --load 3" is
// server-load-3), so the same program built in two checkouts has one name
// and base and head line up. The command line itself is kept in runs.json
// (argv). To judge a change, measure base and head on the same machine,
// interleaved, into one folder, and gate it:
//
//	git worktree add /tmp/base origin/main
//	(cd /tmp/base && go build -o server .) && go build -o server .
//	bpbench run --cmd './server --load 3' --name server --baseline-dir /tmp/base --out gate-out
//	bpbench gate gate-out
//
// The command runs in the current folder for the head and in the
// --baseline-dir folder for the base; a program given by a relative path
// is each side's own build. Measured apart instead, run it once per side
// with the same --name and gate with --baseline OLD NEW.
//
// In GitHub Actions, the action at the root of bpbench's repository
// (action.yml) does all of this for a pull request: see the README, "Gate
// your own program in CI".
//
// # Long-running programs and bpbench watch
//
// A server does not finish. bpbench run --cmd './server' --duration 30s
// runs it under the same cap as every run until it is ready (--ready
// tcp:8080, tcp:HOST:PORT, or a command that exits 0 once it is; at most
// --ready-timeout, default 30s), then for 30s with --load 'CMD' driving it
// (started once ready, outside the cap and not measured), then stops both
// (SIGTERM, then SIGKILL after --grace, default 5s). Alive to the end
// within the cap is ok; exiting before the end, even with status 0, is a
// crash; never ready exits 1 naming --ready, nothing left running. A load
// generator that fails is noted and the run kept; its exit status and the
// last 64KiB of its output are in runs.json (load). With --duration,
// --timeout defaults to none, and one shorter than --duration is refused.
//
// Flatness — in the gate, the report and run's findings — is judged over
// the steady part of a run (after the first quarter; for --duration, of
// the window from ready to stopped) by the slope of each figure with its
// 95% confidence interval, in MiB per minute: first what the program
// holds, buffered bytes and heap after GC, against what it wrote; RSS
// only over a window of 10s or more, because a runtime's own warm-up
// (V8's JIT, heap sizing) moves it sooner with no backlog behind it. The
// verdict names the figure that decided, and says when RSS was too short
// to judge.
//
// bpbench watch PID samples a running process and its descendants every
// --interval (1s) for --for (5m; 0 until it exits or Ctrl-C), prints a
// live line, writes an ordinary output folder (--out, default
// bpbench-watch) with what it saw (also when the process exits early),
// and exits 1 when its RSS grows faster than --threshold MiB per minute
// (default 1: the fitted slope above it, its 95% confidence interval above
// zero). It never signals the process. A PID that is not running or not
// yours exits 2. It reads RSS only (the tree's, shared pages once, from
// /proc), never the heap, buffered bytes or writes after false that the Go
// probe and the Node preload report: they report over a pipe that bpbench
// run makes and hands the program as it starts it (BPBENCH_PROBE_FD), and a
// process already running has no such pipe, nor can another process give
// it one. For those figures, run the program under bpbench run --cmd with
// --duration.
//
// # bpbench compare
//
// bpbench compare OLD [NEW] prints, for every unit, one row per benchmark
// (workload and parameters) with the median of its runs and its 95%
// confidence interval in each column, the change of the medians and the
// p-value of a Mann-Whitney U test (golang.org/x/perf's benchmath, as
// benchstat). With one folder the columns are drain and naive (or base and
// head for a --baseline-bin folder); with two, OLD and NEW. OLD and NEW may
// be output folders, results.txt files or plain go test -bench output.
// --format text|markdown|csv|json; --alpha (default 0.05).
//
// # bpbench gate
//
// bpbench gate --baseline OLD NEW judges NEW against OLD; bpbench gate DIR
// judges the head side of a --baseline-bin folder against its base side. It
// prints the verdict first, each reason on a line, then every table, and
// exits 0 (no regression), 1 (regression) or 2 (bad input). A regression is:
//
//   - a metric worse than its threshold and significant at --alpha
//     (Mann-Whitney U). Default thresholds: sec/op 20%, peak-RSS-B 10%,
//     peak-heap-B 25%, max-buffered-B 25%, units of go test -bench 10%;
//     change them with --threshold UNIT=PCT (repeatable). With too few runs
//     for the test to ever reach alpha (fewer than 4+4 at 0.05) the gate
//     says so and judges by the threshold alone;
//     peak-cgroup-B (the run's memory cgroup's own peak, page cache
//     included) is shown, and judged only when --threshold names it;
//   - an outcome that got worse in any run: ok to timeout, crash or oom;
//   - memory that is no longer flat in a drain-aware run or a --duration
//     run (see Long-running programs: buffered bytes may rise at most
//     max(1MiB, the highWaterMark, 32KiB per MiB written), heap after GC
//     and RSS at most max(4MiB, 32KiB per MiB written), RSS judged only
//     over 10s or more), in most of its runs (one run in five that grows is
//     noise: a late GC cycle); a run with fewer than 8 samples after
//     warm-up is not judged (and listed);
//   - backpressure ignored, with no statistics: a drain-aware run that
//     wrote after write() returned false, pushed after push() did, or
//     attached a second drain listener, or any benchmark whose count of
//     those rose (the base made none, or every head run made more than
//     every base run); the reason names the line of the first such call;
//   - a drain-aware run that buffered more than backpressure promises: the
//     highWaterMark plus the largest chunk, summed over its streams, when the
//     workload reports it.
//
// The gate compares only what was measured alike: sides capped by
// different mechanisms (cgroup2, cgroup1, watchdog), at a different
// --memlimit or --hard-limit, or uncapped against capped are refused with
// exit 2, naming the difference; --allow-mixed gates them anyway and puts
// the warning in the verdict (text, Markdown, JSON); compare shows them
// with the warning. A runs.json holding one run twice is refused, always.
//
// Naive variants (and drain-on, the backpressure guide's last mistake: a
// persistent drain listener attached at every stall) are the control: their figures swing with the race between
// producer and sink, so the gate shows them but judges only a new crash or
// timeout. Benchmarks on one side only are listed, never skipped; with none
// in common the gate refuses (exit 2). --format text|markdown|json;
// --summary FILE appends the Markdown verdict to FILE (for
// $GITHUB_STEP_SUMMARY).
//
// scripts/ci-gate.sh BASE_REF builds the base in a temporary worktree, runs
// the suite with --baseline-bin and the Node examples with --baseline-dir,
// and gates them; .github/workflows/bench-gate.yml runs it on pull requests.
//
// # bpbench plot and bpbench report
//
// bpbench plot DIR writes DIR/plots/ (or --out): per workload and
// parameters, RSS and Go heap against time for drain and naive on the same
// axes (the median of the runs, with a band from the smallest to the
// largest), the GOMEMLIMIT and hard-cap lines (named in the legend instead
// when the data stays far below them), a cross where a run was killed, and
// the streams' buffered bytes in a panel below on the same time axis; then
// peak RSS per workload and variant, time until killed, and throughput
// (MiB written per second when the workload reports bytes written, else
// runs per second). --format svg (default) or png; 12 × 6.75 in, 16:9.
//
// bpbench report DIR writes DIR/report.html — one file, the charts inline
// as SVG, no script, nothing fetched — and DIR/report.md with the charts
// linked from DIR/plots/: the verdict first (the gate's, against --baseline
// or between the sides of a --baseline-bin folder), what each workload did
// at a glance, the summary table, every chart, drain vs naive (or base vs
// head) side by side, the run parameters and the machine. Nothing else in
// DIR changes. scripts/check-report.sh DIR renders report.html in headless
// Chromium and saves a screenshot.
//
// # bpbench tune
//
// bpbench tune --workload NAME --budget SIZE runs the workload's
// drain-aware variant at every highWaterMark of --hwm (default 1KiB to 4MiB
// in powers of two), --count times each (default 6), under the caps of run,
// and prints per point the median throughput, the median peak RSS and the
// largest, the drain waits per MiB written (the pauses the backpressure
// guide's example takes: a larger highWaterMark pauses less often), the outcomes and whether the point is on
// the Pareto front. Of the points whose every run finished and whose every
// run's peak RSS (not the median's) stays within the budget less --margin
// (default 10%), it recommends the one with the least median peak RSS among
// those the Mann-Whitney U test cannot tell in speed from the fastest (the
// fastest median moves between such points from run to run on a noisy
// machine), names the fastest when that is another, and names smaller
// points as fast too. When nothing fits it says so and names
// the budget that would; a budget below every run's peak RSS exits 2, and so
// does --hwm 0 (the chart's axis is log2). An interrupted sweep exits 130
// with its points in the folder and no recommendation. The
// folder (--out, default bpbench-tune) is an ordinary output folder, for
// compare and report, with plots/tune-NAME.svg: throughput and peak RSS
// against highWaterMark on a log2 axis, the budget, the Pareto front and
// the pick. --cmd 'CMD {hwm}' tunes your own program: {hwm} is replaced by
// each value in bytes.
//
// # bpbench merge
//
// bpbench merge DIR... --out DIR combines the folders of the shards of one
// suite. It refuses, naming the difference, folders measured at another
// commit, with another count, memlimit, hard limit, interval, timeout,
// number of shards or suite (workloads, variants, parameters), a shard
// given twice, a missing shard of the I/N set (unless --allow-partial,
// which says which are missing), and an --out that is one of the inputs.
//
// # bpbench history
//
// bpbench history add DIR [--commit SHA --commit-time RFC3339 --branch B]
// adds a result folder to a history (an SQLite file, bpbench-history.db or
// --db PATH) with its commit, branch and machine; the same folder twice is
// refused. bpbench history [--benchmark GLOB] [--metric UNIT] [--since
// DATE] [--format text|markdown|json|csv] lists, per series (benchmark,
// unit, machine and cap), the change points found by E-divisive means with
// a Welch t-test (Fisher's exact test for oom and failure rates), each with
// its commit, the medians before and after, the change and its p-value.
// bpbench history check exits 1 when the newest commit opens a strong
// regression, with the reasons, like gate; history export --format
// otava-csv|benchfmt and history plot --out DIR (trend charts with the
// change points) take the same series. Only series measured on the same
// machine fingerprint and cap are compared.
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
// 0 ok; 1 a run could not be measured at all, or the folder could not be
// written, or gate (or history check) found a regression; 2 bad usage or unreadable input (a
// folder without runs.json, missing or truncated samples, garbage results,
// mismatched units), with a message naming the problem and the fix, before
// anything runs; 130 interrupted by Ctrl-C or SIGTERM (what was measured is
// still written, beside a complete earlier result).
package main
