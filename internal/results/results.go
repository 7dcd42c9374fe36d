package results

import (
	"strings"
	"time"
)

// Files of an output folder.
const (
	ResultsFile = "results.txt"
	RunsFile    = "runs.json"
	SamplesDir  = "samples"
)

// SamplesHeader is the first line of every samples CSV. Cells a source did
// not report are empty. Readers accept extra columns after these.
const SamplesHeader = "t_seconds,rss_bytes,heap_bytes,buffered_bytes,go_total_bytes,gc_cycles,false_returns,drains,drain_wait_seconds,written_bytes"

// samplesColumns is SamplesHeader split; legacyColumns the header of
// folders written before written_bytes existed, still read.
var (
	samplesColumns = strings.Split(SamplesHeader, ",")
	legacyColumns  = samplesColumns[:9]
)

// Units of results.txt (see the package doc).
const (
	UnitSec         = "sec/op"
	UnitPeakRSS     = "peak-RSS-B"
	UnitPeakHeap    = "peak-heap-B"
	UnitMaxBuffered = "max-buffered-B"
	UnitPeakCgroup  = "peak-cgroup-B" // the run's memory cgroup's own peak: page cache and kernel memory included
	UnitOOM         = "oom-runs"
	UnitFailed      = "failed-runs"
	UnitTimeToOOM   = "time-to-oom-sec"

	UnitWritesAfterFalse    = "writes-after-false"    // Run.WritesAfterFalse, where reported
	UnitPushesAfterFalse    = "pushes-after-false"    // Run.PushesAfterFalse, where reported
	UnitExtraDrainListeners = "extra-drain-listeners" // Run.ExtraDrainListeners, where reported
)

// lowerIsBetter are the units written with better=lower metadata;
// time-to-oom-sec is written with better=higher (dying later is better).
var lowerIsBetter = []string{UnitPeakRSS, UnitPeakHeap, UnitMaxBuffered, UnitPeakCgroup, UnitOOM, UnitFailed, UnitWritesAfterFalse, UnitPushesAfterFalse, UnitExtraDrainListeners}

// IsViolation reports whether unit counts calls that ignored backpressure
// (writes-after-false, pushes-after-false, extra-drain-listeners): a gate
// judges any increase, without statistics.
func IsViolation(unit string) bool {
	return unit == UnitWritesAfterFalse || unit == UnitPushesAfterFalse || unit == UnitExtraDrainListeners
}

// IsFraction reports whether unit counts runs with some outcome (1 or 0 per
// run), so that its mean is the fraction of such runs.
func IsFraction(unit string) bool { return unit == UnitOOM || unit == UnitFailed }

// Outcome is how a run ended.
type Outcome string

// Outcomes. A run that is killed, times out or crashes still keeps its
// samples up to the end.
const (
	OK          Outcome = "ok"          // exited with status 0
	OOM         Outcome = "oom"         // killed at the hard cap, died "out of memory", or SIGKILLed from outside (a kernel or cgroup OOM killer)
	Timeout     Outcome = "timeout"     // still running at the time limit; killed
	Crash       Outcome = "crash"       // nonzero exit, panic or signal
	Interrupted Outcome = "interrupted" // the harness was stopped (Ctrl-C) while it ran; not a measurement: kept in runs.json, left out of results.txt
)

// Severity orders outcomes from best to worst for a gate: ok < timeout <
// crash < oom. Interrupted is not a measurement and ranks -1.
func (o Outcome) Severity() int {
	switch o {
	case OK:
		return 0
	case Timeout:
		return 1
	case Crash:
		return 2
	case OOM:
		return 3
	}
	return -1
}

func (o Outcome) valid() bool { return o == Interrupted || o.Severity() >= 0 }

// Sides of a run measured with a baseline binary.
const (
	SideBase = "base"
	SideHead = "head"
)

// Param is one workload parameter of a run, in the order the benchmark
// name shows it.
type Param struct{ Key, Value string }

// Run is one measured run: one object of runs.json.
type Run struct {
	Index    int     `json:"index"`          // position in the suite's interleaved run list (before sharding)
	ID       string  `json:"id"`             // unique file-name-safe id; the samples file is samples/ID.csv
	Name     string  `json:"name"`           // full benchmark name as in results.txt, with the "Benchmark" prefix
	Bench    string  `json:"bench"`          // benchmark name stem, e.g. "MillionLineWriter"
	Workload string  `json:"workload"`       // "million-line-writer", "cmd", ...
	Variant  string  `json:"variant"`        // "drain", "naive", or "" for external commands
	Side     string  `json:"side,omitempty"` // SideBase or SideHead when measured with --baseline-bin, else ""
	Params   []Param `json:"params"`         // in JSON an object in this order, followed by memlimit and hard_limit
	Rep      int     `json:"rep"`

	Outcome          Outcome  `json:"outcome"`
	Note             string   `json:"note,omitempty"`        // why the outcome was chosen when it is not obvious, or the child's reported error
	NotStarted       bool     `json:"not_started,omitempty"` // it ended (not ok) before its workload reported anything: a configuration problem, not a measurement
	WallSeconds      float64  `json:"wall_seconds"`          // start to exit (for a killed run: to its death)
	PeakRSSBytes     int64    `json:"peak_rss_bytes"`        // the child's own peak resident set size
	PeakHeapBytes    *int64   `json:"peak_heap_bytes"`
	MaxBufferedBytes *int64   `json:"max_buffered_bytes"`
	BufferBoundBytes *int64   `json:"buffer_bound_bytes,omitempty"`  // what backpressure promises: the sum over the run's streams of highWaterMark plus the largest chunk; probe only
	BytesWritten     *int64   `json:"bytes_written,omitempty"`       // bytes the producer handed to its streams; probe only
	TimeToOOMSeconds *float64 `json:"time_to_oom_seconds,omitempty"` // oom only
	Samples          string   `json:"samples"`                       // path of the samples CSV relative to the output folder
	ExitCode         int      `json:"exit_code"`                     // -1 when killed by a signal
	Signal           string   `json:"signal,omitempty"`              // e.g. "SIGKILL"
	StderrTail       string   `json:"stderr_tail,omitempty"`         // last 4KiB of stderr
	Argv             []string `json:"argv"`
	Pid              int      `json:"pid,omitempty"`

	// The kernel's figures for the run's memory cgroup (Machine.CapMechanism
	// cgroup1 or cgroup2); nil under the watchdog or when the kernel does
	// not say.
	CgroupPeakBytes *int64 `json:"cgroup_peak_bytes,omitempty"` // the cgroup's peak charge: every process's memory with shared pages once, page cache and kernel memory included (memory.peak, memory.max_usage_in_bytes)
	OOMKills        *int64 `json:"oom_kills,omitempty"`         // processes the kernel's OOM killer killed in the cgroup (oom_kill)
	CapNote         string `json:"cap_note,omitempty"`          // why the watchdog capped the run rather than a cgroup

	// The machine and settings the run was measured with.
	GOOS            string   `json:"goos"`
	GOARCH          string   `json:"goarch"`
	CPU             string   `json:"cpu,omitempty"`
	Commit          string   `json:"commit"`
	MemLimit        int64    `json:"-"` // in Params as memlimit
	HardLimit       int64    `json:"-"` // in Params as hard_limit
	IntervalSeconds float64  `json:"interval_seconds"`
	TimeoutSeconds  float64  `json:"timeout_seconds,omitempty"`
	Count           int      `json:"count,omitempty"`   // repetitions per cell of the suite it belongs to
	Suite           string   `json:"suite,omitempty"`   // fingerprint of the suite's cells (names, argv, sides): equal for the shards of one suite
	Shard           string   `json:"shard,omitempty"`   // "I/N" of the shard that measured it
	Machine         *Machine `json:"machine,omitempty"` // facts about the machine; nil in folders written before they were recorded

	// Backpressure violations: calls that ignored backpressure, as the
	// run's probe last reported them (streamcore's Stats or the Node
	// preload), counted over the whole run and summed over its streams.
	// A nil count was not reported: an external command without the
	// preload, pushes of a Go workload (streamcore counts none), a folder
	// written before bpbench recorded them. 0 was reported: none happened.
	WritesAfterFalse      *int64      `json:"writes_after_false,omitempty"`       // write() calls made while the stream owed a drain: an earlier write returned false and 'drain' had not fired yet
	BytesAfterFalse       *int64      `json:"bytes_after_false,omitempty"`        // what those writes added to the buffers, in the streams' unit (bytes; chunks in object mode)
	PushesAfterFalse      *int64      `json:"pushes_after_false,omitempty"`       // Readable push() calls made after push() returned false and before the next read (Node preload)
	BytesPushedAfterFalse *int64      `json:"bytes_pushed_after_false,omitempty"` // what those pushes added
	ExtraDrainListeners   *int64      `json:"extra_drain_listeners,omitempty"`    // 'drain' listeners attached (OnDrain, on('drain')) while one was already attached
	Violations            []Violation `json:"violations,omitempty"`               // where they were made: one per kind and call site

	// Long-running programs (bpbench run --duration, bpbench watch): the
	// window the run was measured over and the load driven at it. Zero
	// and nil for a run that ends by itself.
	DurationSeconds float64  `json:"duration_seconds,omitempty"` // the measured window asked for: the program ran this long after it was ready, then was stopped
	ReadySeconds    *float64 `json:"ready_seconds,omitempty"`    // since the start, when the readiness check first passed (0 with no check); nil when it never passed
	StoppedSeconds  *float64 `json:"stopped_seconds,omitempty"`  // since the start, when the harness stopped the program at the end of the window; nil when it ended before
	Load            *Load    `json:"load,omitempty"`             // the load generator started once the program was ready; nil when there was none

	Series []Sample `json:"-"` // the time series, written to Samples
}

// Load is the load generator of a long-running run: a command started,
// outside the run's memory cap and unmeasured, once the program was
// ready, and stopped (SIGTERM to its process group, then SIGKILL) at the
// end of the window.
type Load struct {
	Argv           []string `json:"argv"`
	StartedSeconds float64  `json:"started_seconds"`        // since the run's start
	EndedSeconds   float64  `json:"ended_seconds"`          // since the run's start, when it exited or was stopped
	Stopped        bool     `json:"stopped,omitempty"`      // still running at the end of the window, so the harness stopped it
	ExitCode       int      `json:"exit_code"`              // -1 when a signal ended it
	Signal         string   `json:"signal,omitempty"`       // e.g. "SIGTERM"
	Error          string   `json:"error,omitempty"`        // it could not be started, or did not stop on SIGKILL
	OutputTail     string   `json:"output_tail,omitempty"`  // the last 64KiB of its stdout and stderr, interleaved
	OutputBytes    int64    `json:"output_bytes,omitempty"` // all it wrote, of which OutputTail is the end
}

// Failed reports whether the load generator failed rather than ran until
// it was stopped or finished its work: it could not start, or it exited
// with a nonzero status or a signal the harness did not send.
func (l *Load) Failed() bool {
	if l == nil {
		return false
	}
	return l.Error != "" || !l.Stopped && (l.ExitCode != 0 || l.Signal != "")
}

// Machine is what a run records about the machine that measured it, for
// a reader judging whether two result sets are comparable. A zero field
// was not recorded: a reader shows it as unknown, never as a guess.
type Machine struct {
	Cores        int       `json:"cores,omitempty"`         // CPUs the harness could use (runtime.NumCPU)
	MemoryBytes  int64     `json:"memory_bytes,omitempty"`  // physical memory
	Kernel       string    `json:"kernel,omitempty"`        // e.g. "Linux 6.1.0-18-amd64"
	GoVersion    string    `json:"go_version,omitempty"`    // the Go release that built bpbench, e.g. "go1.24.2"
	NodeVersion  string    `json:"node_version,omitempty"`  // node --version, when the suite runs Node; "" otherwise
	CapMechanism string    `json:"cap_mechanism,omitempty"` // how the hard cap was enforced: "cgroup2", "cgroup1" or "watchdog"
	LoadAverage  []float64 `json:"load_average,omitempty"`  // 1, 5 and 15 minute load averages when the suite started
}

// Kinds of Violation.
const (
	WriteAfterFalse    = "write-after-false"    // Run.WritesAfterFalse, Run.BytesAfterFalse
	PushAfterFalse     = "push-after-false"     // Run.PushesAfterFalse, Run.BytesPushedAfterFalse
	ExtraDrainListener = "extra-drain-listener" // Run.ExtraDrainListeners
)

// Violation is where a run ignored backpressure: the first call of one
// kind made at one call site, as the probe reported it. The probe keeps
// the first call site of each kind, so a run has at most one Violation per
// kind today, carrying the kind's totals: Count and Bytes are the run's
// WritesAfterFalse and BytesAfterFalse for WriteAfterFalse (pushes for
// PushAfterFalse; ExtraDrainListeners, no bytes, for ExtraDrainListener),
// later calls made elsewhere included. A reader sums them per kind and
// must not assume one per kind.
type Violation struct {
	Kind     string `json:"kind"`               // WriteAfterFalse, PushAfterFalse or ExtraDrainListener
	Site     string `json:"site"`               // "file:line" as the probe reported it: the full path of a Go file, the path or file:// URL of a script
	Function string `json:"function,omitempty"` // the function making the call, e.g. "main.flood" or "Socket.onData"; "" when unknown
	Count    int64  `json:"count"`              // calls of this kind attributed to Site
	Bytes    int64  `json:"bytes,omitempty"`    // what they added to the buffers (not for ExtraDrainListener)
}

// Param returns the value of the parameter key, or "".
func (r *Run) Param(key string) string {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// Sample is one row of a run's time series. Fields that a source did not
// report hold -1 and are written as empty CSV cells: RSS comes from outside
// the child, the rest from its probe, so an external command has only RSS.
type Sample struct {
	T            time.Duration // since the run started
	RSS          int64         // resident set size, bytes
	Heap         int64         // /memory/classes/heap/objects:bytes
	Buffered     int64         // stream bytes buffered (writableLength)
	GoTotal      int64         // /memory/classes/total:bytes
	GCCycles     int64         // /gc/cycles/total:gc-cycles
	FalseReturns int64         // writes that returned false
	Drains       int64         // drain events
	DrainWait    time.Duration // total time spent waiting for drain; -1 = none
	Written      int64         // bytes handed to the streams so far
}

// NoSample returns a Sample with every field unreported.
func NoSample() Sample {
	return Sample{RSS: -1, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1, Written: -1}
}

// Set is a set of measured runs: what the harness measures, ReadDir reads
// and Merge combines.
type Set struct {
	Runs []Run // in suite order (Run.Index)
}

// Measured reports whether the run is a measurement (not interrupted).
func (r *Run) Measured() bool { return r.Outcome != Interrupted }
