package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// tree lists every entry under dir with its content (files) or target
// (symbolic links), for comparing a folder before and after.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A folder holding the user's files is refused, naming them, and nothing
// in it changes; the same files beside an earlier result are refused too.
func TestWriteDirRefusesForeignFiles(t *testing.T) {
	for _, withResult := range []bool{false, true} {
		dir := t.TempDir()
		if withResult {
			if err := sampleResults().WriteDir(dir); err != nil {
				t.Fatal(err)
			}
		}
		os.MkdirAll(filepath.Join(dir, "plots"), 0o755)
		os.MkdirAll(filepath.Join(dir, "samples"), 0o755)
		for _, f := range []string{"report.md", "plots/fig.svg", "samples/mydata.csv"} {
			os.WriteFile(filepath.Join(dir, f), []byte("the user's "+f), 0o644)
		}
		before := tree(t, dir)
		for name, err := range map[string]error{"CheckOut": CheckOut(dir), "Prepare": Prepare(dir), "WriteDir": sampleResults().WriteDir(dir)} {
			var foreign *NotOwnedError
			if !errors.As(err, &foreign) {
				t.Fatalf("%s of a folder with the user's files: %v; want a NotOwnedError", name, err)
			}
			msg := err.Error()
			for _, want := range []string{"report.md", "plots/fig.svg", "samples/mydata.csv", "choose an empty or new --out, or remove them"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %q does not say %q", name, msg, want)
				}
			}
		}
		if after := tree(t, dir); !equalTrees(before, after) {
			t.Errorf("the refused folder changed:\nbefore %q\nafter  %q", before, after)
		}
	}
}

// More than five files: five are named, and how many more there are.
func TestNotOwnedNamesFive(t *testing.T) {
	dir := t.TempDir()
	for i := range 8 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), nil, 0o644)
	}
	err := CheckOut(dir)
	if err == nil || !strings.Contains(err.Error(), "f0, f1, f2, f3, f4 and 3 more;") || strings.Contains(err.Error(), "f5") {
		t.Errorf("CheckOut: %v", err)
	}
}

// A new result set replaces the earlier one file for file: its files,
// and the report pages written with WriteReport, and nothing else.
func TestWriteDirReplacesFileForFile(t *testing.T) {
	dir := t.TempDir()
	old := sampleResults()
	if err := old.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(dir, File{"report.html", []byte("report")}, File{"plots/peak-rss.svg", []byte("<svg/>")}); err != nil {
		t.Fatal(err)
	}
	if err := CheckOut(dir); err != nil {
		t.Fatalf("a folder with its own report: %v", err)
	}
	if got, err := ReadDir(dir); err != nil || len(got.Runs) != len(old.Runs) {
		t.Fatalf("ReadDir with a report: %v", err)
	}
	next := &Set{Runs: slices.Clone(old.Runs[1:3])}
	next.Runs[0].Commit = "def456"
	if err := next.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var files []string
	for p, v := range tree(t, dir) {
		if v != "dir" {
			files = append(files, filepath.ToSlash(p))
		}
	}
	slices.Sort(files)
	// Own's lock file stays, as every lock file does.
	want := []string{ManifestFile, LockFile, ResultsFile, RunsFile, next.Runs[1].Samples, next.Runs[0].Samples}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("folder holds %q; want %q", files, want)
	}
	got, err := ReadDir(dir)
	if err != nil || len(got.Runs) != 2 || got.Runs[0].Commit != "def456" {
		t.Errorf("ReadDir: %v, %v", got, err)
	}
}

// No symbolic link in an output folder is followed: samples/, plots/ and
// the lock file as links are refused, and what they point at is kept.
func TestSymlinksRefused(t *testing.T) {
	for _, link := range []string{SamplesDir, "plots", LockFile} {
		t.Run(link, func(t *testing.T) {
			base := t.TempDir()
			dir, victim := filepath.Join(base, "out"), filepath.Join(base, "victim")
			if err := sampleResults().WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(victim, 0o755)
			os.WriteFile(filepath.Join(victim, "keep.csv"), []byte("precious"), 0o644)
			os.WriteFile(filepath.Join(victim, "x.svg"), []byte("precious"), 0o644)
			target := victim
			if link == LockFile {
				target = filepath.Join(victim, "keep.csv")
			} else {
				os.RemoveAll(filepath.Join(dir, link))
				unlock, err := LockDir(dir) // the lock file as a run leaves it
				if err != nil {
					t.Fatal(err)
				}
				unlock()
			}
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
			before := tree(t, base)
			if err := CheckOut(dir); err == nil || !strings.Contains(err.Error(), link+" (a symbolic link)") {
				t.Errorf("CheckOut: %v", err)
			}
			if err := sampleResults().WriteDir(dir); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("WriteDir: %v", err)
			}
			if link == LockFile {
				if unlock, err := LockDir(dir); err == nil || !strings.Contains(err.Error(), "symbolic link") {
					t.Errorf("LockDir through a link: %v", err)
					if unlock != nil {
						unlock()
					}
				}
			}
			if link == "plots" {
				if err := WriteReport(dir, File{"plots/x.svg", []byte("<svg/>")}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
					t.Errorf("WriteReport through a link: %v", err)
				}
			}
			if after := tree(t, base); !equalTrees(before, after) {
				t.Errorf("something changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// A folder whose files do not match its manifest is refused as damaged,
// naming the file and the fix.
func TestReadDirRefusesDamaged(t *testing.T) {
	dir := t.TempDir()
	set := sampleResults()
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, filepath.FromSlash(set.Runs[1].Samples))
	data, _ := os.ReadFile(csv)
	data[len(data)-2] ^= 1 // same size, other content
	os.WriteFile(csv, data, 0o644)
	_, err := ReadDir(dir)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), csv) || !strings.Contains(err.Error(), "run bpbench again with this --out") {
		t.Errorf("ReadDir of a changed samples file: %v", err)
	}
	if !HasRuns(dir) {
		t.Error("a damaged folder does not count as holding runs: a partial run would replace it")
	}
}

// Leftovers of a killed writer are removed by the next one: temporary
// files, an uncommitted staging folder; a committed publication is
// finished.
func TestPrepareCleansLeftovers(t *testing.T) {
	dir := t.TempDir()
	if err := sampleResults().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".results.txt.tmp-123456", "samples/.x.csv.tmp-ABCDEF", stagePrefix + "AAAA/samples/y.csv", ".bpbench-check-42"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("left"), 0o644)
	}
	if err := CheckOut(dir); err != nil {
		t.Fatalf("leftovers are not someone else's files: %v", err)
	}
	if err := Prepare(dir); err != nil {
		t.Fatal(err)
	}
	for p := range tree(t, dir) {
		if strings.Contains(p, ".tmp-") || strings.Contains(p, stagePrefix) || strings.Contains(p, "bpbench-check") {
			t.Errorf("%s left behind", p)
		}
	}
}

// Partial folders never replace each other and sort by time.
func TestNewPartialDir(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	now := time.Date(2026, 12, 4, 19, 30, 12, 0, time.UTC)
	a, err := NewPartialDir(out, now)
	if err != nil || a != out+"-partial-20261204T193012Z" {
		t.Fatalf("%q, %v", a, err)
	}
	b, err := NewPartialDir(out, now)
	if err != nil || b == a {
		t.Fatalf("second of the same second: %q, %v", b, err)
	}
	c, err := NewPartialDir(out, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted([]string{a, b, c}) {
		t.Errorf("%q do not sort by time", []string{a, b, c})
	}
}

// WriteReport writes report files into a result folder and owns them; it
// refuses a link on the way and a file that is not bpbench's, changing
// nothing; the next result set removes them.
func TestWriteReport(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	if err := sampleResults().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	files := []File{{"report.html", []byte("<html>")}, {"plots/peak-rss.svg", []byte("<svg/>")}}
	if err := WriteReport(dir, files...); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(dir, files...); err != nil {
		t.Fatalf("a report written again: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "plots", "peak-rss.svg")); string(b) != "<svg/>" {
		t.Errorf("chart holds %q", b)
	}
	if err := CheckOut(dir); err != nil {
		t.Errorf("a folder with its report: %v", err)
	}
	if _, err := ReadDir(dir); err != nil {
		t.Errorf("ReadDir: %v", err)
	}

	os.WriteFile(filepath.Join(dir, "report.md"), []byte("the user's"), 0o644)
	os.RemoveAll(filepath.Join(dir, "plots"))
	os.MkdirAll(filepath.Join(base, "victim"), 0o755)
	os.Symlink(filepath.Join(base, "victim"), filepath.Join(dir, "plots"))
	before := tree(t, base)
	var notOwned *NotOwnedError
	if err := WriteReport(dir, File{"report.md", []byte("ours")}); !errors.As(err, &notOwned) || !strings.Contains(err.Error(), "report.md") {
		t.Errorf("over the user's report.md: %v", err)
	}
	if err := WriteReport(dir, File{"plots/x.svg", []byte("ours")}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("through a linked plots/: %v", err)
	}
	if after := tree(t, base); !equalTrees(before, after) {
		t.Errorf("a refused report changed the folder:\nbefore %q\nafter  %q", before, after)
	}
	os.Remove(filepath.Join(dir, "plots"))
	os.Remove(filepath.Join(dir, "report.md"))
	if err := sampleResults().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); !os.IsNotExist(err) {
		t.Errorf("the report of the earlier set is still there: %v", err)
	}
}

// A manifest that is a symbolic link, even to a true copy of itself in the
// folder, is refused and not followed.
func TestManifestSymlinkRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := sampleResults().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	m := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "copy.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(m)
	if err := os.Symlink("copy.json", m); err != nil {
		t.Fatal(err)
	}
	if err := CheckOut(dir); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("CheckOut through a linked manifest: %v", err)
	}
}
