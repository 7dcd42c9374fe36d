package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bpbench/bpbench/internal/results"
	"golang.org/x/perf/benchfmt"
)

// Input is one side of a comparison: the benchmark results of an output
// folder, a results file or plain `go test -bench` output, and, for a
// folder, its runs with their samples.
type Input struct {
	Label   string             // how tables name it: the path as given
	Set     *results.Set       // the folder's runs; nil for a results file
	Results []*benchfmt.Result // every benchmark line, in file order
	Units   benchfmt.UnitMetadataMap
}

// Load reads path: an output folder (its runs.json and samples; its
// benchmark lines are derived from the runs, as results.txt is), or a
// file in Go benchmark format. Errors name the file and the fix; a folder
// whose runs.json holds one run twice is refused (ErrDuplicateRun).
func Load(path string) (*Input, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w; give an output folder of bpbench run, its results.txt, or go test -bench output", path, errors.Unwrap(err))
	}
	in := &Input{Label: path}
	if fi.IsDir() {
		set, err := results.ReadDir(path)
		if err != nil {
			return nil, err
		}
		if err := checkDuplicates(path, set); err != nil {
			return nil, err
		}
		in.Set = set
		measured := false
		for i := range set.Runs {
			measured = measured || set.Runs[i].Measured()
		}
		if !measured {
			return nil, errorf(ErrNothingMeasured, "%s holds only interrupted runs: nothing in it was measured; run the suite again", path)
		}
		var buf bytes.Buffer
		if err := set.WriteBench(&buf); err != nil {
			return nil, err
		}
		return in, in.parse(&buf, filepath.Join(path, results.ResultsFile))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer f.Close()
	return in, in.parse(f, path)
}

// parse reads benchmark-format text; a file with no benchmark line or a
// malformed one is an error.
func (in *Input) parse(r io.Reader, name string) error {
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return errorf(ErrNotResults, "%w: not Go benchmark format; give an output folder, its results.txt or go test -bench output", rec)
		case *benchfmt.Result:
			in.Results = append(in.Results, rec.Clone())
		}
	}
	if err := br.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	in.Units = br.Units()
	if len(in.Results) == 0 {
		return errorf(ErrNotResults, "%s has no benchmark results (no Benchmark... lines): give an output folder of bpbench run, its results.txt or go test -bench output", name)
	}
	return nil
}

// Split returns the input's base and head sides, for a folder measured
// with --baseline-bin; ok is false when the input has no sides.
func (in *Input) Split() (base, head *Input, ok bool) {
	base = &Input{Label: results.SideBase, Units: in.Units}
	head = &Input{Label: results.SideHead, Units: in.Units}
	for _, r := range in.Results {
		switch r.GetConfig("side") {
		case results.SideBase:
			base.Results = append(base.Results, r)
		case results.SideHead:
			head.Results = append(head.Results, r)
		}
	}
	if in.Set != nil {
		base.Set, head.Set = &results.Set{}, &results.Set{}
		for _, run := range in.Set.Runs {
			switch run.Side {
			case results.SideBase:
				base.Set.Runs = append(base.Set.Runs, run)
			case results.SideHead:
				head.Set.Runs = append(head.Set.Runs, run)
			}
		}
	}
	return base, head, len(base.Results) > 0 && len(head.Results) > 0
}

// Candidate is the input to compare with another: for a folder measured
// with --baseline-bin its head side (its base is a different program),
// else the input itself.
func (in *Input) Candidate() *Input {
	if _, h, ok := in.Split(); ok {
		h.Label = in.Label + " (head)"
		return h
	}
	return in
}
