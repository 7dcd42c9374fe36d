package machine

import (
	"context"
	"os/exec"
	"runtime"
	"testing"
)

func TestRead(t *testing.T) {
	m := Read(context.Background(), Options{})
	if m.Cores != runtime.NumCPU() || m.GoVersion != runtime.Version() {
		t.Errorf("cores %d, Go %q; want %d, %q", m.Cores, m.GoVersion, runtime.NumCPU(), runtime.Version())
	}
	if m.NodeVersion != "" || m.CapMechanism != "" {
		t.Errorf("Read recorded Node %q and cap %q without being asked: it must not guess", m.NodeVersion, m.CapMechanism)
	}
	if runtime.GOOS == "linux" && (m.MemoryBytes <= 0 || m.Kernel == "" || len(m.LoadAverage) != 3) {
		t.Errorf("on Linux: memory %d, kernel %q, load %v; want all read from /proc", m.MemoryBytes, m.Kernel, m.LoadAverage)
	}
}

func TestNodeVersion(t *testing.T) {
	if m := Read(context.Background(), Options{Node: "/nonexistent/node"}); m.NodeVersion != "" {
		t.Errorf("a missing node gave version %q", m.NodeVersion)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH")
	}
	if v := Read(context.Background(), Options{Node: "node"}).NodeVersion; len(v) < 2 || v[0] != 'v' {
		t.Errorf("node version %q", v)
	}
}

func TestUsesNode(t *testing.T) {
	for argv, want := range map[string]bool{"node": true, "/usr/bin/node": true, `C:\n\node.exe`: true, "/tmp/bpbench": false, "nodejs-ish": false} {
		if got := UsesNode([]string{argv}); got != want {
			t.Errorf("UsesNode(%q) = %v", argv, got)
		}
	}
	if UsesNode(nil) {
		t.Error("UsesNode(nil)")
	}
}
