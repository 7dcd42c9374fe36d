package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

// The cache of lean children keeps the one in use and the most recently
// used others, leanKeep in all; files bpbench did not write stay: another
// name, a symbolic link, a file that is not bpbench's Go program, a build
// cut off a moment ago.
func TestEvictLeanKeepsTheNewestAndNothingElse(t *testing.T) {
	self, err := os.Executable() // a Go program built from bpbench's module
	if err != nil {
		t.Fatal(err)
	}
	prog, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	put := func(name string, data []byte, age time.Duration) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bin := func(i int) string { return fmt.Sprintf("%s-%016x", leanName, i) }
	current := put(bin(0), prog, 10*time.Hour) // oldest, but in use
	for i := 1; i <= 5; i++ {
		put(bin(i), prog, time.Duration(i)*time.Hour)
	}
	strangers := []string{
		put(bin(6), []byte("#!/bin/sh\n"), 20*time.Hour),           // not a Go program
		put(leanName+"-notes.txt", []byte("mine\n"), 20*time.Hour), // another name
		put(leanName+"-0123456789ABCDEF", prog, 20*time.Hour),      // not bpbench's spelling
		put(bin(7)+".tmp-1", nil, time.Minute),                     // a build under way
	}
	put(bin(8)+".tmp-2", nil, 2*time.Hour) // a build cut off long ago
	link := filepath.Join(dir, bin(9))
	if err := os.Symlink(filepath.Join(dir, bin(5)), link); err != nil {
		t.Fatal(err)
	}
	strangers = append(strangers, link)

	evictLean(dir, current, 3)

	var got []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{bin(0), bin(1), bin(2)}
	for _, s := range strangers {
		want = append(want, filepath.Base(s))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after eviction the cache holds\n%q\nwant\n%q", got, want)
	}
}

// The cache folder is private and the user's: made 0700, an older 0755
// one of the user's made private, a symbolic link refused.
func TestLeanCacheIsPrivate(t *testing.T) {
	base := t.TempDir()
	dir, err := leanCache(base)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("leanCache made %s (%v, %v); want a 0700 folder", dir, fi.Mode(), err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := leanCache(base); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("an existing 0755 cache folder stays %v; want 0700", fi.Mode().Perm())
	}
	other := t.TempDir()
	if err := os.Symlink(t.TempDir(), filepath.Join(other, "bpbench")); err != nil {
		t.Fatal(err)
	}
	if _, err := leanCache(other); err == nil {
		t.Error("leanCache accepted a cache folder that is a symbolic link")
	}
}
