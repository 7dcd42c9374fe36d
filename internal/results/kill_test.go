//go:build unix

package results

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// killWriterEnv makes the test binary the writer TestKillDuringRewrite
// kills: "DIR|TAG" writes bigSet(TAG) to DIR.
const killWriterEnv = "BPBENCH_RESULTS_KILL_WRITER"

// Two result sets of many runs that share their samples' names but no
// value, and differ in length, so that any mix of them shows.
var bigSizes = map[string]int{"old": 200, "new": 150}

func bigSet(tag string) *Set {
	set := &Set{}
	base := int64(len(tag)) << 20
	if tag == "new" {
		base *= 2
	}
	for i := range bigSizes[tag] {
		r := Run{Index: i, ID: fmt.Sprintf("run-%04d", i), Name: fmt.Sprintf("BenchmarkBig/rep=%d", i), Bench: "Big",
			Workload: "big", Variant: "drain", Outcome: OK, WallSeconds: 1, PeakRSSBytes: base + int64(i), Commit: tag}
		for k := range 8 {
			s := NoSample()
			s.T, s.RSS = time.Duration(k+1)*time.Millisecond, base+int64(i*100+k)
			r.Series = append(r.Series, s)
		}
		set.Runs = append(set.Runs, r)
	}
	return set
}

// whole reads dir and reports which complete set it holds, or why it
// holds neither.
func whole(dir string) (string, error) {
	got, err := ReadDir(dir)
	if err != nil {
		return "", err
	}
	tag := got.Runs[0].Commit
	want := bigSet(tag)
	if len(got.Runs) != len(want.Runs) {
		return "", fmt.Errorf("%d runs of %q; the set has %d", len(got.Runs), tag, len(want.Runs))
	}
	for i, r := range got.Runs {
		w := want.Runs[i]
		if r.Commit != tag || r.PeakRSSBytes != w.PeakRSSBytes || len(r.Series) != len(w.Series) {
			return "", fmt.Errorf("run %s of %q mixed with another set", r.ID, tag)
		}
		for k := range r.Series {
			if r.Series[k] != w.Series[k] {
				return "", fmt.Errorf("samples of run %s are not those of %q", r.ID, tag)
			}
		}
	}
	return tag, nil
}

// TestKillWriterChild is the writer TestKillDuringRewrite starts and
// kills; on its own it does nothing.
func TestKillWriterChild(t *testing.T) {
	v := os.Getenv(killWriterEnv)
	if v == "" {
		t.Skip("the writer of TestKillDuringRewrite")
	}
	dir, tag, _ := strings.Cut(v, "|")
	set := bigSet(tag)
	fmt.Println("ready")
	unlock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
}

// A kill -9 at any instant of rewriting a folder of many runs leaves the
// old complete result or the new one, and the next writer goes on; at
// the end nothing of the killed writers is left.
func TestKillDuringRewrite(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 60 writers")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := bigSet("old").WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := bigSet("new").WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	span := time.Since(start) * 3 / 2 // the kills land all over a rewrite, and a few after it
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 16))
	t.Logf("a rewrite takes %v; seed %d", span*2/3, seed)
	kept := map[string]int{}
	for i := range 60 {
		cur, err := whole(dir)
		if err != nil {
			t.Fatalf("before kill %d: %v", i, err)
		}
		next := map[string]string{"old": "new", "new": "old"}[cur]
		cmd := exec.Command(exe, "-test.run=^TestKillWriterChild$")
		cmd.Env = append(os.Environ(), killWriterEnv+"="+dir+"|"+next)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer %d: %q, %v", i, line, err)
		}
		delay := time.Duration(rng.Int64N(int64(span)))
		time.Sleep(delay) // the kill's instant is the point, not an event to wait for
		cmd.Process.Kill()
		cmd.Wait()
		got, err := whole(dir)
		if err != nil {
			t.Fatalf("kill %d, %v into a rewrite from %s to %s: the folder holds neither: %v", i, delay, cur, next, err)
		}
		if got == next {
			kept["new"]++
		} else {
			kept["old"]++
		}
		if err := CheckOut(dir); err != nil {
			t.Fatalf("kill %d: the next writer is refused: %v", i, err)
		}
	}
	t.Logf("after the kills the folder held the old result %d times, the new one %d times", kept["old"], kept["new"])
	if err := bigSet("old").WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if tag, err := whole(dir); tag != "old" || err != nil {
		t.Fatalf("after a last whole write: %q, %v", tag, err)
	}
	entries := 0
	for p := range tree(t, dir) {
		entries++
		if strings.Contains(p, ".tmp-") || strings.Contains(p, ".bpbench-stage") || strings.Contains(p, publishDir) {
			t.Errorf("%s left behind", p)
		}
	}
	// ".", samples/, the manifest, the lock, runs.json, results.txt and the samples.
	if want := 6 + bigSizes["old"]; entries != want {
		t.Errorf("the folder holds %d entries; want %d", entries, want)
	}
}
