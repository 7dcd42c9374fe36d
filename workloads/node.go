package workloads

import (
	_ "embed"
	"fmt"
	"github.com/bpbench/bpbench/internal/private"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// The backpressure guide's Node scripts, shipped with bpbench: the article's
// write-with-backpressure.js and ignore-backpressure.js.
var (
	//go:embed node/write-with-backpressure.js
	writeWithBackpressureJS []byte
	//go:embed node/ignore-backpressure.js
	ignoreBackpressureJS []byte
)

// ErrNoNode is returned by a Node workload's Command when node is not on
// PATH; the harness skips the workload with a note.
var ErrNoNode = fmt.Errorf("node is not on PATH: the node/* workloads are skipped (install Node.js to run the backpressure guide's Node scripts side by side)")

func nodeWriteWithBackpressure() *Workload {
	return &Workload{
		Name:     "node/write-with-backpressure",
		Bench:    "Node/WriteWithBackpressure",
		Seed:     "write-with-backpressure.js, run by node itself",
		Model:    "the backpressure guide's script under node --max-old-space-size=<memlimit>; heap and the streams' buffered bytes come from the probe bpbench preloads into node",
		Variants: []Variant{Drain},
		Uses:     []string{PLines},
		Defaults: Params{Lines: 1_000_000, Sink: "big-output.txt"},
		command: func(p Params, _ Variant, memlimit int64) ([]string, error) {
			return nodeCommand("write-with-backpressure.js", writeWithBackpressureJS, p.Sink, p.Lines, memlimit)
		},
	}
}

func nodeIgnoreBackpressure() *Workload {
	return &Workload{
		Name:     "node/ignore-backpressure",
		Bench:    "Node/IgnoreBackpressure",
		Seed:     "ignore-backpressure.js, run by node itself",
		Model:    "the backpressure guide's script under node --max-old-space-size=<memlimit>: the tight loop starves the event loop, so every line is buffered until it ends; the preloaded probe reports from a worker thread while the loop runs",
		Variants: []Variant{Naive},
		Uses:     []string{PLines},
		Defaults: Params{Lines: 5_000_000, Sink: os.DevNull},
		command: func(p Params, _ Variant, memlimit int64) ([]string, error) {
			return nodeCommand("ignore-backpressure.js", ignoreBackpressureJS, p.Sink, p.Lines, memlimit)
		},
	}
}

// nodeCommand writes the script to bpbench's private node folder and
// returns node's argv, with the heap capped like the backpressure guide's
// --max-old-space-size=128.
func nodeCommand(name string, script []byte, sink string, lines int, memlimit int64) ([]string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, ErrNoNode
	}
	// node runs the script from here: a folder of this user's, closed to
	// others, under the user's cache folder (a predictable folder in /tmp
	// could be made beforehand by someone else, who could then swap the
	// script; bpbench never uses a folder that is not the user's, even as
	// root).
	dir, _, err := private.CacheFolder("", "node")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	if old, err := os.ReadFile(path); err != nil || string(old) != string(script) {
		if err := os.WriteFile(path, script, 0o644); err != nil {
			return nil, err
		}
	}
	if sink == "null" {
		sink = os.DevNull
	}
	argv := []string{node}
	if mib := memlimit >> 20; mib > 0 {
		argv = append(argv, "--max-old-space-size="+strconv.FormatInt(mib, 10))
	}
	return append(argv, path, sink, strconv.Itoa(lines)), nil
}
