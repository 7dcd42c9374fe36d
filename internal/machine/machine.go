package machine

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// Options are Read's settings; the zero value records no Node version.
type Options struct {
	// Node is the node binary the suite runs (a path, or "node" to look it
	// up on PATH); "" when the suite runs no Node workload.
	Node string
}

// Read returns this machine's facts now. Call it when a suite starts: the
// load average is the one the suite started under. It blocks only to run
// node --version (at most 5 seconds), and never fails: what it cannot
// read stays zero.
func Read(ctx context.Context, opts Options) results.Machine {
	m := results.Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	readSystem(&m)
	if opts.Node != "" {
		m.NodeVersion = nodeVersion(ctx, opts.Node)
	}
	return m
}

// nodeVersion runs node --version; "" when it cannot.
func nodeVersion(ctx context.Context, node string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "v") || strings.ContainsAny(v, " \n") {
		return "" // not a Node version line: record nothing rather than a guess
	}
	return v
}

// UsesNode reports whether argv runs Node (its program is named node or
// node.exe), for Options.Node.
func UsesNode(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	base := argv[0][strings.LastIndexAny(argv[0], `/\`)+1:]
	return base == "node" || base == "node.exe"
}
