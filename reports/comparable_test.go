package reports

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// Tweaks of a Fixture's caps.
func mechanism(m string) reportstest.Tweak {
	return func(r *results.Run) { r.Machine = &results.Machine{Cores: 2, CapMechanism: m} }
}

func limits(mem, hard int64) reportstest.Tweak {
	return func(r *results.Run) { r.MemLimit, r.HardLimit = mem, hard }
}

// Sides capped differently are refused (exit 2 in the CLI: ErrIncomparable),
// naming the difference and the fix; with AllowMixed they are gated, and
// the verdict says so in every format.
func TestGateRefusesSidesCappedDifferently(t *testing.T) {
	for _, tc := range []struct {
		name       string
		base, head reportstest.Tweak
		want       string
	}{
		{"mechanism", mechanism(CapCgroup2), mechanism(CapWatchdog),
			"the base (old) was capped by cgroup2 and the candidate (new) by watchdog: a kernel cgroup and the watchdog cap at different moments and count peaks differently; measure both where bpbench can create memory cgroups, or both where it cannot"},
		{"mechanism not recorded", nil, mechanism(CapCgroup1),
			"the base (old) was capped by watchdog (not recorded: bpbench recorded no mechanism before it could use cgroups, and used the watchdog) and the candidate (new) by cgroup1"},
		{"memlimit", nil, limits(64<<20, 80<<20),
			"the base (old) ran with --memlimit 128MiB, hard limit 192MiB and the candidate (new) with --memlimit 64MiB, hard limit 80MiB: peaks and outcomes under different caps are not comparable; measure both with the same --memlimit and --hard-limit"},
		{"hard limit", nil, limits(128<<20, 160<<20),
			"the base (old) ran with --memlimit 128MiB, hard limit 192MiB and the candidate (new) with --memlimit 128MiB, hard limit 160MiB"},
		{"uncapped against capped", limits(0, 0), nil,
			"the base (old) ran with no cap (--memlimit 0) and the candidate (new) with --memlimit 128MiB, hard limit 192MiB: uncapped runs cannot oom and capped ones can"},
		{"one side mixes caps", func(r *results.Run) {
			if r.Rep == 0 {
				limits(64<<20, 80<<20)(r)
			}
		}, nil, "the base (old) mixes runs capped differently (--memlimit 64MiB, hard limit 80MiB by watchdog; --memlimit 128MiB, hard limit 192MiB by watchdog)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := load(t, reportstest.Fixture(6, "", tc.base), "old")
			head := load(t, reportstest.Fixture(6, "", tc.head), "new")
			_, err := Gate(base, head, GateOptions{})
			if !errors.Is(err, ErrIncomparable) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cannot gate new against old: ") ||
				!strings.HasSuffix(err.Error(), "; or pass --allow-mixed to gate them anyway, with a warning in the verdict") {
				t.Fatalf("got %v\nwant ErrIncomparable containing %q", err, tc.want)
			}
			v, err := Gate(base, head, GateOptions{AllowMixed: true})
			if err != nil || v.Regressed || len(v.Warnings) == 0 || !strings.Contains(v.Warnings[0], tc.want) {
				t.Fatalf("--allow-mixed: %+v, %v", v, err)
			}
			for format, want := range map[string]string{
				FormatText:     "\n  WARNING: not comparable, gated anyway (--allow-mixed): " + tc.want,
				FormatMarkdown: "\n> ⚠️ **Warning: not comparable, gated anyway (--allow-mixed):** " + tc.want,
				FormatJSON:     `"warnings": [`,
			} {
				var buf bytes.Buffer
				if err := v.Write(&buf, format); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(buf.String(), want) {
					t.Errorf("%s verdict lacks %q:\n%s", format, want, buf.String())
				}
				if format != FormatJSON && strings.Count(buf.String(), tc.want) != 1 {
					t.Errorf("%s verdict: the warning is not there once:\n%s", format, buf.String())
				}
			}
			// compare shows them, warning.
			cmp, err := CompareInputs(base, head, Options{})
			if err != nil || len(cmp.Warnings) == 0 || !strings.Contains(cmp.Warnings[0], tc.want) {
				t.Errorf("compare: %v, %v", cmp, err)
			}
			var buf bytes.Buffer
			if err := cmp.WriteText(&buf); err != nil || !strings.HasPrefix(buf.String(), "WARNING: not comparable, compared anyway: ") {
				t.Errorf("compare's text does not start with the warning:\n%s", buf.String())
			}
		})
	}
}

// Sides capped alike pass without a warning: a folder from before the
// mechanism was recorded against one recorded as the watchdog, and both
// sides uncapped on different mechanisms (nothing was capped).
func TestGateSidesCappedAlike(t *testing.T) {
	for name, tw := range map[string][2]reportstest.Tweak{
		"watchdog recorded and not":    {nil, mechanism(CapWatchdog)},
		"uncapped on either mechanism": {func(r *results.Run) { limits(0, 0)(r); mechanism(CapCgroup2)(r) }, limits(0, 0)},
		"same cgroup":                  {mechanism(CapCgroup2), mechanism(CapCgroup2)},
	} {
		base := load(t, reportstest.Fixture(6, "", tw[0]), "old")
		head := load(t, reportstest.Fixture(6, "", tw[1]), "new")
		v, err := Gate(base, head, GateOptions{})
		if err != nil || v.Regressed || len(v.Warnings) > 0 {
			t.Errorf("%s: %+v, %v", name, v, err)
		}
	}
}

// gate DIR: the base and head sides of one folder are held to the same rule.
func TestGateSidesOfOneFolderCappedDifferently(t *testing.T) {
	set := reportstest.Fixture(6, results.SideBase, mechanism(CapWatchdog))
	head := reportstest.Fixture(6, results.SideHead, mechanism(CapCgroup2))
	set.Runs = append(set.Runs, head.Runs...)
	for i := range set.Runs {
		set.Runs[i].Index = i
	}
	b, h, _ := load(t, set, "both").Split()
	_, err := Gate(b, h, GateOptions{})
	if !errors.Is(err, ErrIncomparable) || !strings.Contains(err.Error(), "the base side was capped by watchdog and the head side by cgroup2") {
		t.Errorf("got %v", err)
	}
}

// Results files say their limits (memlimit:, hardlimit:) but not their
// mechanism; go test -bench output says nothing and is not judged.
func TestGateResultsFilesCappedDifferently(t *testing.T) {
	file := func(set *results.Set, name string) *Input {
		var buf bytes.Buffer
		if err := set.WriteBench(&buf); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		in.Label = name
		return in
	}
	base := file(reportstest.Fixture(6, "", limits(0, 0)), "old.txt")
	head := file(reportstest.Fixture(6, "", mechanism(CapCgroup2)), "new.txt")
	if _, err := Gate(base, head, GateOptions{}); !errors.Is(err, ErrIncomparable) || !strings.Contains(err.Error(), "the base (old.txt) ran with no cap (--memlimit 0)") {
		t.Errorf("results files: %v", err)
	}
	if got := Incomparable(file(reportstest.Fixture(6, "", mechanism(CapWatchdog)), "a.txt"), head); len(got) != 1 || !strings.Contains(got[0], "capped by watchdog and the candidate (new.txt) by cgroup2") {
		t.Errorf("results files with the same limits, capped by the watchdog and by cgroup2: %q; want the mechanisms named (their cap: lines)", got)
	}
	p := filepath.Join(t.TempDir(), "gotest.txt")
	os.WriteFile(p, []byte("BenchmarkLineWriter/variant=drain/hwm=64KiB 1 1.0 sec/op\n"), 0o644)
	gotest, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := Incomparable(gotest, head); got != nil {
		t.Errorf("go test -bench output: %q; its caps are unknown, not judged", got)
	}
}

// A runs.json holding one run twice is refused by Load, for every verb:
// counted twice, 3 runs against 1 made a false regression.
func TestLoadRefusesDuplicateRuns(t *testing.T) {
	set := reportstest.Fixture(2, "", nil)
	dup := set.Runs[1]
	dup.ID, dup.Index = "copy", len(set.Runs)
	set.Runs = append(set.Runs, dup)
	_, err := Load(reportstest.Dir(t, set, "dup"))
	if !errors.Is(err, ErrDuplicateRun) || !strings.Contains(err.Error(), "dup/runs.json holds one run twice: LineWriter/variant=drain/hwm=64KiB, rep 1 (ids LineWriter-drain--rep1 and copy); a run counted twice weighs double in every median and test and can make a false regression: remove the copy, or measure again") {
		t.Errorf("same run, another id: %v", err)
	}
	// The same id twice (a different rep) is a copy too.
	set = reportstest.Fixture(2, "", nil)
	dup = set.Runs[1]
	dup.Rep, dup.Index = 7, len(set.Runs)
	dup.Samples = "samples/copy.csv"
	set.Runs = append(set.Runs, dup)
	dir := filepath.Join(t.TempDir(), "dupid")
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrDuplicateRun) || !strings.Contains(err.Error(), "(ids LineWriter-drain--rep1 and LineWriter-drain--rep1)") {
		t.Errorf("same id twice: %v", err)
	}
	// Base and head sides of one rep are not duplicates.
	both := reportstest.Fixture(2, results.SideBase, nil)
	both.Runs = append(both.Runs, reportstest.Fixture(2, results.SideHead, nil).Runs...)
	for i := range both.Runs {
		both.Runs[i].Index = i
	}
	if _, err := Load(reportstest.Dir(t, both, "both")); err != nil {
		t.Errorf("sides: %v", err)
	}
}

// A results.txt names its cap mechanism in its cap: line, and the gate
// refuses two files capped differently as it refuses two folders.
func TestIncomparableResultsFilesByCapLine(t *testing.T) {
	file := func(label, capLine string) *Input {
		t.Helper()
		text := "memlimit: 16MiB\nhardlimit: 20MiB\n" + capLine + "BenchmarkX/variant=drain 1 0.1 sec/op 1e6 peak-RSS-B 0 oom-runs\n"
		in := &Input{Label: label}
		if err := in.parse(strings.NewReader(text), label); err != nil {
			t.Fatal(err)
		}
		return in
	}
	if d := Incomparable(file("a", "cap: watchdog\n"), file("b", "cap: cgroup1\n")); len(d) != 1 || !strings.Contains(d[0], "capped by watchdog") {
		t.Errorf("watchdog against cgroup1 files: %q; want one difference naming the mechanisms", d)
	}
	if d := Incomparable(file("a", ""), file("b", "cap: cgroup1\n")); len(d) != 0 {
		t.Errorf("a file without a cap: line: %q; want it judged on its limits only", d)
	}
}
