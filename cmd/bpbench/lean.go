package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// leanName is the lean child binary: bpbench-workload (cmd/bpbench-workload).
const leanName = "bpbench-workload"

// childCommand returns the command line that runs one workload as the
// harness's child. bpbench links the plotting libraries, whose fonts cost
// about 4MiB of RSS at start; a child running bpbench workload would carry
// them into every peak it reports. So it prefers the lean bpbench-workload:
// beside this executable (go install ./cmd/...), or built on demand into
// the user's cache when bpbench runs from its source tree (go run
// ./cmd/bpbench run), with the same build tags. Otherwise it falls back to
// this executable's workload verb and says so.
func childCommand(exe string) (argv []string, note string) {
	if p := leanBeside(exe); p != "" {
		if why := sameBuild(p); why != "" {
			return []string{exe, "workload"}, fmt.Sprintf("%s beside %s %s: children run as bpbench workload (their peaks include about 4MiB of bpbench's own libraries); reinstall both with go install ./cmd/...", leanName, exe, why)
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
	return []string{exe, "workload"}, fmt.Sprintf("%s is not beside %s: children run as bpbench workload, and their peak RSS includes bpbench's plotting libraries (about 4MiB); go install ./cmd/... installs both", leanName, exe)
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
// in, once per bpbench executable, into the user's cache folder.
func buildLean(exe string) (path string, built bool, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", false, err
	}
	out, err := exec.Command(goBin, "list", "-m").Output()
	if err != nil || strings.TrimSpace(string(out)) != "github.com/bpbench/bpbench" {
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
	dir := filepath.Join(cache, "bpbench")
	path = filepath.Join(dir, leanName+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	if isExecutable(path) {
		return path, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	args := []string{"build", "-o", path + ".tmp"}
	if tags := buildTags(); tags != "" {
		args = append(args, "-tags", tags)
	}
	if b, err := exec.Command(goBin, append(args, "github.com/bpbench/bpbench/cmd/"+leanName)...).CombinedOutput(); err != nil {
		os.Remove(path + ".tmp")
		return "", false, fmt.Errorf("go build %s: %v: %s", leanName, err, b)
	}
	return path, true, os.Rename(path+".tmp", path)
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
