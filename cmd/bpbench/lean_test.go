package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bpbench-workload beside bpbench that is not a Go binary of the same
// build is not used: children fall back to bpbench workload, and the note
// says why. Both sides of a --baseline-bin suite are lean or neither is.
func TestChildCommandRefusesAStrangeLeanChild(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "bpbench")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, leanName), []byte("#!/bin/sh\n"), 0o755)
	argv, note := childCommand(exe)
	if len(argv) != 2 || argv[0] != exe || argv[1] != "workload" || !strings.Contains(note, "cannot be read") {
		t.Errorf("childCommand = %q, note %q; want the workload verb and why", argv, note)
	}
	base := filepath.Join(t.TempDir(), "bpbench")
	os.WriteFile(base, []byte("#!/bin/sh\n"), 0o755)
	head, b, note := sidesCommands(exe, base)
	if head[len(head)-1] != "workload" || b[len(b)-1] != "workload" || note == "" {
		t.Errorf("sides %q and %q (%q): one side is lean, so neither should be", head, b, note)
	}
}
