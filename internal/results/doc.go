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
//	results.txt             Go benchmark format (benchfmt), readable unchanged by benchstat
//	runs.json               one object per run (Run), for scripts
//	samples/ID.csv          one time series per run (Sample), header SamplesHeader
//	.bpbench-manifest.json  the files of the set (Manifest)
//	.bpbench.lock           the writers' lock (LockDir)
//
// # Ownership
//
// A folder owns what its manifest lists: every file of the result set, by
// name, size and SHA-256, and the report pages and charts written from it
// afterwards (written with WriteReport). A new result set (WriteDir) replaces
// exactly those files and deletes nothing else; it refuses a folder that
// holds any other file (NotOwnedError: CheckOut before measuring, Prepare
// under the lock) unless the folder is empty or absent. No write, rename
// or removal follows a symbolic link: the folder is opened as an os.Root
// (nothing escapes it), every folder on a path is checked with Lstat,
// files are created fresh (O_EXCL) and the lock file with O_NOFOLLOW.
//
// # Crash consistency
//
// A kill at any instant leaves the old result set or the new one. WriteDir
// writes and syncs the new set and its manifest into a fresh hidden staging
// folder, then commits it by one rename to .bpbench-publish; it moves the
// files into place, removes the old set's others, and moves the manifest
// in last. Readers (ReadDir) take a committed set's files from the publish
// folder first, trust only what the manifest lists with its size and sum,
// and refuse anything else as damaged (ErrDamaged). The next writer
// finishes a committed publication and removes an uncommitted one and any
// leftover temporary file (.NAME.tmp-*).
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
//	writes-after-false     writes made while the stream owed a drain
//	                       (Run.WritesAfterFalse), runs whose probe reported it
//	pushes-after-false     pushes made after push() returned false
//	                       (Run.PushesAfterFalse), runs whose probe reported it
//	extra-drain-listeners  drain listeners attached while one was already
//	                       (Run.ExtraDrainListeners), runs whose probe reported it
//
// time-to-oom-sec is declared with `Unit X better=higher` metadata (a run
// that dies later grows more slowly), every other unit but sec/op with
// better=lower. The call sites of the backpressure violations are in
// runs.json only (Run.Violations).
package results
