// Package workloads holds bpbench's named workloads: the examples of the backpressure guide,
// each as a pair of variants that share everything but the backpressure
// handling (drain: honour write()'s false and wait for drain; naive:
// ignore it), in an explicit registry (All), and their selection (Select)
// and expansion into the cells of a suite (Suite).
//
// A naive producer only piles data up when its sink is slower than it is,
// so every workload states its model: what makes the sink slower. Each
// workload's Model field says it, and bpbench list prints it:
//
//   - million-line-writer: 1,000,000 "line i" to a file (the backpressure guide's
//     write-with-backpressure.js). The drain variant's file holds exactly
//     line 0 … line 999999. Its third variant, drain-on, is the backpressure guide's last
//     rule broken ("attach drain with once, not on"): a persistent drain
//     listener attached at every stall, so listeners pile up (doubling at
//     every drain) and each drain re-enters the write loop once per
//     listener. Measured with bpbench workload on the 2-core development
//     machine (2026-11-23, load average 3): drain 0.13s and 11MiB peak RSS;
//     drain-on 0.45s, 44MiB, 20 drains, 876,868 listeners at the end and
//     4.1MiB buffered at the peak (drain: 64KiB). Node itself on the backpressure guide's
//     script with on instead of once: 2.5s and 240MiB against 0.9s and 76MiB.
//   - tight-loop-5m: 5,000,000 lines to /dev/null with a system call per
//     chunk (the backpressure guide's ignore-backpressure.js).
//   - gzip-pipeline: a generated access log through read → gzip → write;
//     drain is Pipeline.
//   - slow-consumer: a file read at memory speed into a throttled sink.
//   - node/write-with-backpressure, node/ignore-backpressure: the backpressure
//     guide's Node scripts themselves, run by node when it is on PATH.
//
// # What the tight loop does in Go
//
// In Node the backpressure guide's loop dies under --max-old-space-size=128 because the
// loop never yields, so nothing drains until it ends. The Go workload
// models that event loop with a Cooperative stream: its sink runs only
// while a producer waits in WaitDrain (or the stream ends). The drain
// variant waits at every false, so the sink empties the buffer in one
// batched write to /dev/null and the loop reuses its line blocks; the
// naive variant never waits, so every line stays queued: about 29 bytes
// each (the line and its string header in the queue, which grows by
// doubling), against Node's 50-60 (a string and a {chunk, encoding,
// callback} record). Under GOMEMLIMIT=128MiB the collector runs back to
// back once the live heap passes the limit, and the default hard cap
// (1.25 × memlimit = 160MiB) kills the naive run with about 3 million of
// its 5 million lines buffered, in every run.
//
// # Generated inputs
//
// gzip-pipeline and slow-consumer read a generated access log, kept in a
// private folder under the user's cache folder (bpbench/inputs, mode
// 0700, the user's) and used only while it matches the SHA-256 recorded
// beside it. A size that does not fit the disk's free space less a margin
// (a tenth of the filesystem, at most 1GiB) is refused before a byte is
// written (Workload.Check); a write error or a cancelled ctx stops
// generation and removes the partial file, and a killed generator's
// temporary is removed at the next start. input.go says how.
//
// No workload sleeps or pads its producer: the naive variants are slow or
// fast only by what their sinks really cost.
//
// Workloads import streamcore, the results' Param type and the size
// syntax only. The child process (internal/child) runs one workload and
// reports the streams it registers with Env.Track to the harness through
// package probe; bpbench run and tune run the cells Suite expands. A
// parameter's text is parsed by Params.Set, whose *ParamError names the
// parameter: the command line (internal/cli) spells it as a flag.
package workloads
