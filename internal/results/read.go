package results

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoRuns is returned (wrapped) by ReadDir for a folder whose runs.json
// holds no runs.
var ErrNoRuns = errors.New("no runs")

// ErrDamaged is returned (wrapped) by ReadDir for a folder whose files do
// not match its manifest: changed after bpbench wrote them, or cut off.
var ErrDamaged = errors.New("does not match the folder's manifest")

// ReadDir reads an output folder written by WriteDir: runs.json and the
// samples it names, checking both. results.txt is derived from them and
// not read, only checked. A folder with a manifest (ManifestFile) is read
// as its manifest says: every file the set needs must be listed, a regular
// file (no symbolic link), of the listed size and SHA-256 sum, or the
// folder is refused as damaged (ErrDamaged); files it does not list are
// ignored. A folder a kill left in the middle of a publication reads as
// the new set. A folder without a manifest (written by hand or by an
// older bpbench) is read as it is. Errors name the file and what to do.
func ReadDir(dir string) (*Set, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w; give the --out folder of a bpbench run", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file, not an output folder", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", dir, unwrapPath(err))
	}
	defer root.Close()
	// A writer may publish a new set while this reads: read again while
	// the manifests change under it.
	for try := 0; ; try++ {
		before := manifestStamp(root)
		v, err := openView(root, dir)
		if err != nil {
			return nil, err
		}
		set, err := v.read()
		if err == nil || try == 4 || manifestStamp(root) == before {
			return set, err
		}
	}
}

// manifestStamp identifies the folder's manifests as they are now.
func manifestStamp(root *os.Root) string {
	var b strings.Builder
	for _, name := range []string{ManifestFile, path.Join(publishDir, ManifestFile)} {
		if fi, err := root.Lstat(filepath.FromSlash(name)); err == nil {
			fmt.Fprintf(&b, "%v %d %d;", fi.ModTime().UnixNano(), fi.Size(), inode(fi))
		} else {
			b.WriteString("-;")
		}
	}
	return b.String()
}

// view is the result set an output folder holds: its manifest and where
// each file is.
type view struct {
	root    *os.Root
	dir     string
	m       *Manifest // nil: no manifest, the folder is read as it is
	pending bool      // a committed set is being published: its files are in publishDir, or moved into place already
}

func openView(root *os.Root, dir string) (*view, error) {
	v := &view{root: root, dir: dir}
	var err error
	if v.m, err = readManifest(root, path.Join(publishDir, ManifestFile)); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if v.m != nil {
		v.pending = true
		return v, nil
	}
	if v.m, err = readManifest(root, ManifestFile); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return v, nil
}

// open opens the set's file name.
func (v *view) open(name string) (*os.File, error) {
	if v.pending {
		f, err := openRegular(v.root, path.Join(publishDir, name))
		if !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
	return openRegular(v.root, name)
}

// verified reads the listed file e through check, which reads it (nil:
// read it whole), and checks its size and sum; data is the file when
// check is nil.
func (v *view) verified(e *OwnedFile, check func(io.Reader) error) (data []byte, err error) {
	p := filepath.Join(v.dir, filepath.FromSlash(e.Name))
	f, err := v.open(e.Name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	cr := &countReader{r: io.TeeReader(f, h)}
	var checkErr error
	if check == nil {
		data, err = io.ReadAll(cr)
	} else {
		checkErr = check(cr)
		_, err = io.Copy(io.Discard, cr)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
	}
	var why string
	switch {
	case cr.n != e.Size:
		why = fmt.Sprintf("%d bytes where the manifest says %d", cr.n, e.Size)
	case hex.EncodeToString(h.Sum(nil)) != e.SHA256:
		why = "its SHA-256 sum is not the manifest's"
	}
	if why != "" {
		return nil, fmt.Errorf("%s is damaged or truncated: %s (%w): it was changed after bpbench wrote it, or a write was cut off; run bpbench again with this --out, or remove %s to read the files as they are",
			p, why, ErrDamaged, filepath.Join(v.dir, ManifestFile))
	}
	return data, checkErr
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// read reads the set the view shows.
func (v *view) read() (*Set, error) {
	if v.m == nil {
		return readUnlisted(v.dir)
	}
	dir := v.dir
	runsPath := filepath.Join(dir, RunsFile)
	e := v.m.find(RunsFile)
	if e == nil {
		return nil, fmt.Errorf("%s is not a bpbench output folder: it has no %s; give the --out folder of a bpbench run", dir, RunsFile)
	}
	data, err := v.verified(e, nil)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing (listed in %s): the folder is incomplete; copy the whole folder, or run bpbench again with this --out", runsPath, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	set, err := parseRuns(runsPath, data)
	if err != nil {
		return nil, err
	}
	for i := range set.Runs {
		run := &set.Runs[i]
		name, err := samplesName(run.Samples)
		if err != nil {
			return nil, fmt.Errorf("%s: run %s: %w", runsPath, run.ID, err)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		e := v.m.find(name)
		if e == nil {
			return nil, fmt.Errorf("%s: run %s names %s, which %s does not list (%w): the folder was changed after bpbench wrote it; run bpbench again with this --out", runsPath, run.ID, name, ManifestFile, ErrDamaged)
		}
		var parseErr error
		_, err = v.verified(e, func(r io.Reader) error {
			run.Series, parseErr = ReadSamples(r)
			return nil
		})
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing (named by run %s in %s): the folder is incomplete; copy the whole folder, samples/ included", p, run.ID, RunsFile)
		}
		if err != nil {
			return nil, err
		}
		if parseErr != nil {
			return nil, fmt.Errorf("%s: %w; the file is damaged or truncated: copy it again or measure again", p, parseErr)
		}
	}
	if e := v.m.find(ResultsFile); e != nil {
		if _, err := v.verified(e, func(io.Reader) error { return nil }); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s is missing (listed in %s): the folder is incomplete; copy the whole folder, or run bpbench again with this --out", filepath.Join(dir, ResultsFile), ManifestFile)
			}
			return nil, err
		}
	}
	slices.SortStableFunc(set.Runs, func(a, b Run) int { return a.Index - b.Index })
	return set, nil
}

// parseRuns parses and checks runs.json.
func parseRuns(runsPath string, data []byte) (*Set, error) {
	set := &Set{}
	if err := json.Unmarshal(data, &set.Runs); err != nil {
		return nil, fmt.Errorf("%s is not valid runs JSON (%v): the file is damaged; measure again with bpbench run", runsPath, err)
	}
	if len(set.Runs) == 0 {
		return nil, fmt.Errorf("%s: %w: the folder was written by a run that measured nothing; measure again with bpbench run", runsPath, ErrNoRuns)
	}
	for i := range set.Runs {
		if err := set.Runs[i].check(); err != nil {
			return nil, fmt.Errorf("%s: run %d: %v: the file is damaged; measure again with bpbench run", runsPath, i, err)
		}
	}
	return set, nil
}

// readUnlisted reads a folder without a manifest as it is.
func readUnlisted(dir string) (*Set, error) {
	runsPath := filepath.Join(dir, RunsFile)
	data, err := os.ReadFile(runsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a bpbench output folder: it has no %s; give the --out folder of a bpbench run", dir, RunsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", runsPath, err)
	}
	set, err := parseRuns(runsPath, data)
	if err != nil {
		return nil, err
	}
	for i := range set.Runs {
		run := &set.Runs[i]
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
	for _, n := range []*int64{r.WritesAfterFalse, r.BytesAfterFalse, r.PushesAfterFalse, r.BytesPushedAfterFalse, r.ExtraDrainListeners} {
		if n != nil && *n < 0 {
			return fmt.Errorf("run %s: a negative count of calls that ignored backpressure", r.ID)
		}
	}
	for _, v := range r.Violations {
		if v.Site == "" || v.Count < 0 || v.Bytes < 0 {
			return fmt.Errorf("run %s: violation %q at %q: no call site, or a negative count", r.ID, v.Kind, v.Site)
		}
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
		s := NoSample()
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
// runs.json alone (not the samples ReadDir also reads and checks). A
// folder with a damaged manifest counts as holding runs: nothing should
// replace it unasked.
func HasRuns(dir string) bool {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer root.Close()
	v, err := openView(root, dir)
	if err != nil {
		return true
	}
	var data []byte
	if v.m == nil {
		data, err = os.ReadFile(filepath.Join(dir, RunsFile))
	} else {
		if v.m.find(RunsFile) == nil {
			return false
		}
		var f *os.File
		if f, err = v.open(RunsFile); err == nil {
			data, err = io.ReadAll(f)
			f.Close()
		}
	}
	if err != nil {
		return false
	}
	var runs []json.RawMessage
	return json.Unmarshal(data, &runs) == nil && len(runs) > 0
}
