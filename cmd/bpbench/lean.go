package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"github.com/bpbench/bpbench/internal/private"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// leanName is the lean child binary: bpbench-workload (cmd/bpbench-workload).
const leanName = "bpbench-workload"

// childCommand returns the command line that runs one workload as the
// harness's child. A child running bpbench workload would carry bpbench's
// own start-up memory into every peak it reports: about 9MiB of resident
// pages against 3MiB for bpbench-workload (gonum/plot's init parses its
// fonts whatever verb runs, about 4MiB; the rest is the larger binary's
// code and the C library it links). So it prefers the lean bpbench-workload:
// beside this executable (go install ./cmd/...), or built on demand into
// the user's cache when bpbench runs from its source tree (go run
// ./cmd/bpbench run), with the same build tags. Otherwise it falls back to
// this executable's workload verb and says so.
func childCommand(exe string) (argv []string, note string) {
	if p := leanBeside(exe); p != "" {
		if why := sameBuild(p); why != "" {
			return []string{exe, "workload"}, fmt.Sprintf("%s beside %s %s: children run as bpbench workload (their peaks include about 9MiB of bpbench's own start-up memory); reinstall both with go install ./cmd/...", leanName, exe, why)
		}
		return []string{p}, ""
	}
	start := time.Now()
	if p, built, err := buildLean(exe); err == nil && sameBuild(p) == "" {
		if built {
			return []string{p}, fmt.Sprintf("built the lean child %s from this source tree in %.1fs (once per bpbench build)", p, time.Since(start).Seconds())
		}
		return []string{p}, ""
	}
	return []string{exe, "workload"}, fmt.Sprintf("%s is not beside %s: children run as bpbench workload, and their peak RSS includes bpbench's own start-up memory (about 9MiB); go install ./cmd/... installs both", leanName, exe)
}

// sameBuild says how the lean child at p differs from this executable's
// build — another commit, or a modified tree where this one is clean — or
// "" when nothing recorded tells them apart.
func sameBuild(p string) string {
	mine, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	theirs, err := buildinfo.ReadFile(p)
	if err != nil {
		return "cannot be read (" + err.Error() + ")"
	}
	get := func(bi *debug.BuildInfo, key string) string {
		for _, s := range bi.Settings {
			if s.Key == key {
				return s.Value
			}
		}
		return ""
	}
	for _, key := range []string{"vcs.revision", "vcs.modified"} {
		if a, b := get(mine, key), get(theirs, key); a != "" && a != b {
			return fmt.Sprintf("was built from another tree (%s %s, not %s)", key, orUnknown(b), a)
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// leanBeside is the lean child beside the bpbench executable exe, or "".
func leanBeside(exe string) string {
	if p := filepath.Join(filepath.Dir(exe), leanName); isExecutable(p) {
		return p
	}
	return ""
}

// sidesCommands are the children of a --baseline-bin suite: lean on both
// sides when both binaries have bpbench-workload beside them, else the
// workload verb on both, so that neither side carries memory the other
// does not.
func sidesCommands(exe, baseBin string) (head, base []string, note string) {
	lh, lb := leanBeside(exe), leanBeside(baseBin)
	if lh != "" && lb != "" {
		return []string{lh}, []string{lb}, ""
	}
	return []string{exe, "workload"}, []string{baseBin, "workload"},
		fmt.Sprintf("%s is not beside both binaries: both sides run bpbench workload, so both peaks include bpbench's own libraries", leanName)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// buildLean builds cmd/bpbench-workload from the source tree bpbench runs
// in, once per bpbench executable, into bpbench's folder in the user's
// cache (see leanCache), and keeps that folder to the few most recently
// used builds (see evictLean).
func buildLean(exe string) (path string, built bool, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", false, err
	}
	out, err := exec.Command(goBin, "list", "-m").Output()
	if err != nil || strings.TrimSpace(string(out)) != modulePath {
		return "", false, fmt.Errorf("not in bpbench's source tree")
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", false, err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", false, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", false, err
	}
	dir, err := leanCache(cache)
	if err != nil {
		return "", false, err
	}
	path = filepath.Join(dir, leanName+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	defer func() {
		if err == nil {
			evictLean(dir, path, leanKeep)
		}
	}()
	if isExecutable(path) {
		now := time.Now()
		os.Chtimes(path, now, now) // most recently used: the last evicted
		return path, false, nil
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", false, err
	}
	tmp.Close()
	args := []string{"build", "-o", tmp.Name()}
	if tags := buildTags(); tags != "" {
		args = append(args, "-tags", tags)
	}
	if b, err := exec.Command(goBin, append(args, modulePath+"/cmd/"+leanName)...).CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", false, fmt.Errorf("go build %s: %w: %s", leanName, err, b)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", false, err
	}
	return path, true, nil
}

// modulePath is bpbench's module.
const modulePath = "github.com/bpbench/bpbench"

// leanKeep is how many lean children the cache keeps: the one this
// bpbench uses and the most recently used others (another checkout,
// another branch's build).
const leanKeep = 3

// leanCache returns bpbench's folder under the user's cache folder base,
// made if need be: private (0700) and the user's. A folder that is a
// symbolic link or someone else's is refused; one of the user's that an
// older bpbench made readable by others is made private.
func leanCache(base string) (string, error) {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	dir := filepath.Join(base, "bpbench")
	return dir, private.Folder(dir)
}

// evictLean removes from the cache folder dir the lean children beyond the
// keep most recently used, never keep itself (the one in use). It removes
// only what buildLean wrote: regular files of the user's named
// bpbench-workload-<16 hex digits> and holding a Go program built from
// bpbench's module, and that name's ".tmp-*" files left by a build cut
// off more than an hour ago. Anything else in the folder stays.
func evictLean(dir, current string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type bin struct {
		path string
		used time.Time
	}
	var bins []bin
	for _, e := range entries {
		name, p := e.Name(), filepath.Join(dir, e.Name())
		base, tmp, isTmp := strings.Cut(name, ".tmp-")
		if !leanCacheName(base) || (isTmp && tmp == "") || p == current {
			continue
		}
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || !private.OwnedByUser(fi) {
			continue
		}
		if isTmp {
			if time.Since(fi.ModTime()) > time.Hour {
				os.Remove(p)
			}
			continue
		}
		if bi, err := buildinfo.ReadFile(p); err != nil || bi.Main.Path != modulePath {
			continue
		}
		bins = append(bins, bin{p, fi.ModTime()})
	}
	slices.SortFunc(bins, func(a, b bin) int { return b.used.Compare(a.used) })
	for i, b := range bins {
		if i >= keep-1 {
			os.Remove(b.path)
		}
	}
}

// leanCacheName reports whether name is a lean child's name in the cache:
// bpbench-workload-<16 lower-case hex digits>.
func leanCacheName(name string) bool {
	h, ok := strings.CutPrefix(name, leanName+"-")
	if !ok || len(h) != 16 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// buildTags are the -tags this executable was built with.
func buildTags() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "-tags" {
			return s.Value
		}
	}
	return ""
}
