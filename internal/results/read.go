package results

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// ErrNoRuns is returned (wrapped) by ReadDir for a folder whose runs.json
// holds no runs.
var ErrNoRuns = errors.New("no runs")

// ReadDir reads an output folder written by WriteDir: runs.json and the
// samples it names, checking both. results.txt is derived from them and
// not read. Errors name the file and what to do.
func ReadDir(dir string) (*Set, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w; give the --out folder of a bpbench run", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file, not an output folder", dir)
	}
	runsPath := filepath.Join(dir, RunsFile)
	data, err := os.ReadFile(runsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a bpbench output folder: it has no %s; give the --out folder of a bpbench run", dir, RunsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", runsPath, err)
	}
	set := &Set{}
	if err := json.Unmarshal(data, &set.Runs); err != nil {
		return nil, fmt.Errorf("%s is not valid runs JSON (%v): the file is damaged; measure again with bpbench run", runsPath, err)
	}
	if len(set.Runs) == 0 {
		return nil, fmt.Errorf("%s: %w: the folder was written by a run that measured nothing; measure again with bpbench run", runsPath, ErrNoRuns)
	}
	for i := range set.Runs {
		run := &set.Runs[i]
		if err := run.check(); err != nil {
			return nil, fmt.Errorf("%s: run %d: %v: the file is damaged; measure again with bpbench run", runsPath, i, err)
		}
		p, err := samplesPath(dir, run.Samples)
		if err != nil {
			return nil, fmt.Errorf("%s: run %s: %w", runsPath, run.ID, err)
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing (named by run %s in %s): the folder is incomplete; copy the whole folder, samples/ included", p, run.ID, RunsFile)
		}
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", run.ID, err)
		}
		run.Series, err = ReadSamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w; the file is damaged or truncated: copy it again or measure again", p, err)
		}
	}
	slices.SortStableFunc(set.Runs, func(a, b Run) int { return a.Index - b.Index })
	return set, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// check validates what every reader relies on.
func (r *Run) check() error {
	switch {
	case r.ID == "":
		return errors.New("no id")
	case r.Name == "":
		return fmt.Errorf("run %s has no name", r.ID)
	case !r.Outcome.valid():
		return fmt.Errorf("run %s: unknown outcome %q", r.ID, r.Outcome)
	case r.WallSeconds < 0 || r.PeakRSSBytes < 0:
		return fmt.Errorf("run %s: negative wall time or peak RSS", r.ID)
	case r.Side != "" && r.Side != SideBase && r.Side != SideHead:
		return fmt.Errorf("run %s: side %q is neither %s nor %s", r.ID, r.Side, SideBase, SideHead)
	}
	return nil
}

// ReadSamples parses a samples CSV written by WriteSamples (or by an older
// bpbench without written_bytes). Extra columns after the known ones are
// ignored; a short or malformed row is an error naming its line.
func ReadSamples(r io.Reader) ([]Sample, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty samples file: want the header " + SamplesHeader)
	}
	if err != nil {
		return nil, err
	}
	ncol := len(samplesColumns)
	if !slices.Equal(head[:min(len(head), ncol)], samplesColumns) {
		ncol = len(legacyColumns)
		if len(head) < ncol || !slices.Equal(head[:ncol], legacyColumns) {
			return nil, fmt.Errorf("not a bpbench samples file: want the header %q", SamplesHeader)
		}
	}
	var out []Sample
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) < ncol {
			return nil, fmt.Errorf("line %d: %d columns, want %d", line, len(rec), ncol)
		}
		s := NoSample
		for i, dst := range []*int64{&s.RSS, &s.Heap, &s.Buffered, &s.GoTotal, &s.GCCycles, &s.FalseReturns, &s.Drains} {
			if *dst, err = intCell(rec[i+1]); err != nil {
				return nil, fmt.Errorf("line %d, %s: %v", line, samplesColumns[i+1], err)
			}
		}
		if ncol > 9 {
			if s.Written, err = intCell(rec[9]); err != nil {
				return nil, fmt.Errorf("line %d, written_bytes: %v", line, err)
			}
		}
		if s.T, err = secondsCell(rec[0]); err != nil || s.T < 0 {
			return nil, fmt.Errorf("line %d, t_seconds: want seconds, have %q", line, rec[0])
		}
		if s.DrainWait, err = secondsCell(rec[8]); err != nil {
			return nil, fmt.Errorf("line %d, drain_wait_seconds: %v", line, err)
		}
		out = append(out, s)
	}
}

func intCell(s string) (int64, error) {
	if s == "" {
		return -1, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a count of bytes or events, have %q", s)
	}
	return v, nil
}

func secondsCell(s string) (time.Duration, error) {
	if s == "" {
		return -1, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(v*1e9 + 0.5), nil
}

// HasRuns reports whether dir holds an output folder with runs, reading
// runs.json alone (not the samples ReadDir also reads and checks).
func HasRuns(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, RunsFile))
	if err != nil {
		return false
	}
	var runs []json.RawMessage
	return json.Unmarshal(data, &runs) == nil && len(runs) > 0
}
