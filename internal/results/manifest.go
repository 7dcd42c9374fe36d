package results

import (
	"crypto/sha256"
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
	"strings"
)

// ManifestFile is an output folder's manifest: the files its result set
// wrote, with their sizes and SHA-256 sums (see the package doc).
const ManifestFile = ".bpbench-manifest.json"

// manifestFormat is the manifest's format field.
const manifestFormat = "bpbench-manifest/1"

// Manifest lists the files a result set owns in its output folder. A new
// result set replaces exactly these files; a reader trusts a file only if
// it is listed here with its size and sum.
type Manifest struct {
	Format string      `json:"format"` // "bpbench-manifest/1"
	Files  []OwnedFile `json:"files"`  // sorted by Name
}

// OwnedFile is one file of a Manifest.
type OwnedFile struct {
	Name   string `json:"name"`   // slash-separated path relative to the folder, e.g. "samples/ID.csv"
	Size   int64  `json:"size"`   // bytes
	SHA256 string `json:"sha256"` // hex
	// Report marks a file written from the result set afterwards (a chart
	// or report page written with WriteReport): readers do not check it, and
	// the next result set removes it with the runs it describes.
	Report bool `json:"report,omitempty"`
}

// find returns the entry of name, or nil.
func (m *Manifest) find(name string) *OwnedFile {
	if m == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(m.Files, name, func(f OwnedFile, n string) int { return strings.Compare(f.Name, n) })
	if !ok {
		return nil
	}
	return &m.Files[i]
}

// set adds f, replacing an entry of the same name.
func (m *Manifest) set(f OwnedFile) {
	i, ok := slices.BinarySearchFunc(m.Files, f.Name, func(f OwnedFile, n string) int { return strings.Compare(f.Name, n) })
	if ok {
		m.Files[i] = f
		return
	}
	m.Files = slices.Insert(m.Files, i, f)
}

// reserved reports whether a name of the folder's top level is bpbench's
// own bookkeeping (the manifest, the lock, a write in progress), never a
// file of a result set.
func reserved(top string) bool { return strings.HasPrefix(top, ".bpbench") }

// validName reports whether name can be a file of a result set: a clean
// relative slash path inside the folder, not one of bpbench's own files.
func validName(name string) bool {
	top, _, _ := strings.Cut(name, "/")
	return fs.ValidPath(name) && name != "." && !reserved(top) && !strings.Contains(name, `\`)
}

// readManifest reads the manifest at name in root; a manifest that is not
// there is (nil, nil).
func readManifest(root *os.Root, name string) (*Manifest, error) {
	f, err := openRegular(root, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	if err := json.Unmarshal(data, m); err != nil || m.Format != manifestFormat {
		return nil, fmt.Errorf("%s is not a bpbench manifest (%s): the file is damaged; remove the folder's result (or the whole folder) and run again", name, orNot(err, m.Format))
	}
	for i, f := range m.Files {
		if !validName(f.Name) || f.Size < 0 || (i > 0 && m.Files[i-1].Name >= f.Name) {
			return nil, fmt.Errorf("%s: bad or unsorted file name %q: the file is damaged; remove the folder's result (or the whole folder) and run again", name, f.Name)
		}
	}
	return m, nil
}

func orNot(err error, format string) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("format %q, want %q", format, manifestFormat)
}

// marshal is the manifest as its file holds it.
func (m *Manifest) marshal() ([]byte, error) {
	if m.Files == nil {
		m.Files = []OwnedFile{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	return append(b, '\n'), err
}

// writeManifest replaces the folder's manifest with m atomically: a
// temporary file made fresh (O_EXCL), synced, renamed over it.
func writeManifest(root *os.Root, m *Manifest) error {
	data, err := m.marshal()
	if err != nil {
		return err
	}
	tmp, name, err := createTemp(root, ".", ManifestFile)
	if err != nil {
		return err
	}
	if err := writeSync(tmp, data); err != nil {
		root.Remove(name)
		return err
	}
	if err := root.Rename(name, ManifestFile); err != nil {
		root.Remove(name)
		return err
	}
	return syncDir(root, ".")
}

// checkOwnedTree names what under the folder a result set does not own: a
// file neither listed in any of ms nor one of bpbench's own (the manifest,
// the lock file, a write in progress, a leftover temporary), and every
// symbolic link, device, pipe or socket. It stops counting at maxForeign.
func checkOwnedTree(root *os.Root, ms ...*Manifest) (foreign []string, total int, err error) {
	owned := func(name string) bool {
		for _, m := range ms {
			if m.find(name) != nil {
				return true
			}
		}
		return false
	}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		base := path.Base(p)
		top := !strings.Contains(p, "/")
		t := d.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			foreign, total = appendForeign(foreign, total, p+" (a symbolic link)")
		case d.IsDir():
			if top && (base == publishDir || strings.HasPrefix(base, stagePrefix)) {
				return fs.SkipDir
			}
			return nil
		case !t.IsRegular():
			foreign, total = appendForeign(foreign, total, p+" (not a regular file)")
		case top && (base == ManifestFile || base == LockFile):
		case owned(p) || isTemp(base):
		default:
			foreign, total = appendForeign(foreign, total, p)
		}
		if total >= maxForeign {
			return fs.SkipAll
		}
		return nil
	})
	return foreign, total, err
}

// maxForeign bounds the walk of a folder that is plainly not an output
// folder (a home directory given as --out).
const maxForeign = 1000

func appendForeign(list []string, n int, name string) ([]string, int) {
	if len(list) < 5 {
		list = append(list, name)
	}
	return list, n + 1
}

// NotOwnedError is the refusal of an output folder that holds files a
// result set did not write.
type NotOwnedError struct {
	Dir   string
	Files []string // up to five, relative to Dir, in walk (name) order
	Total int      // how many there are (counting stops at 1000)
}

func (e *NotOwnedError) Error() string {
	names := strings.Join(e.Files, ", ")
	switch more := e.Total - len(e.Files); {
	case e.Total >= maxForeign:
		names += fmt.Sprintf(" and at least %d more", more)
	case more > 0:
		names += fmt.Sprintf(" and %d more", more)
	}
	link := ""
	if strings.Contains(names, "(a symbolic link)") {
		link = " (bpbench never writes through a symbolic link)"
	}
	return fmt.Sprintf("%s holds files bpbench did not write: %s%s; choose an empty or new --out, or remove them", e.Dir, names, link)
}

// File is a file to write into an output folder: its slash-separated
// name inside the folder (e.g. "plots/peak-rss.svg") and its content.
type File struct {
	Name string
	Data []byte
}

// WriteReport writes files written from the result set in dir (report
// pages, charts) into dir and owns them in its manifest: each file is
// written whole through a fresh temporary file (O_EXCL) and a rename, its
// folders are made where missing, and a symbolic link anywhere on the way
// is refused, never followed. A file already in dir that the manifest
// does not list is someone else's and is refused, as is a file of the
// result set itself; then nothing is written. WriteReport takes dir's
// lock and replaces the manifest atomically, once, after the files.
func WriteReport(dir string, files ...File) error {
	root, m, done, err := openForReport(dir)
	if err != nil {
		return err
	}
	defer done()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !validName(f.Name) {
			return fmt.Errorf("%s is not a file name inside %s", f.Name, dir)
		}
		if e := m.find(f.Name); e != nil && !e.Report {
			return fmt.Errorf("%s is a file of the result set in %s, not a report of it", p, dir)
		}
		if err := noLinks(root, path.Dir(f.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
		if _, err := root.Lstat(filepath.FromSlash(f.Name)); err == nil && m.find(f.Name) == nil {
			return &NotOwnedError{Dir: dir, Files: []string{f.Name}, Total: 1}
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		err := mkdirs(root, path.Dir(f.Name))
		var tmp *os.File
		var name string
		if err == nil {
			tmp, name, err = createTemp(root, path.Dir(f.Name), path.Base(f.Name))
		}
		if err == nil {
			if err = writeSync(tmp, f.Data); err == nil {
				err = root.Rename(name, filepath.FromSlash(f.Name))
			}
			if err != nil {
				root.Remove(name)
			}
		}
		if err != nil {
			// List what was written before: the folder stays the set's.
			if merr := writeManifest(root, m); merr != nil {
				return fmt.Errorf("cannot write %s: %w; nor the manifest: %v", p, err, merr)
			}
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
		sum := sha256.Sum256(f.Data)
		m.set(OwnedFile{Name: f.Name, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:]), Report: true})
	}
	if err := writeManifest(root, m); err != nil {
		return fmt.Errorf("cannot write the manifest of %s: %w", dir, err)
	}
	return nil
}

// openForReport locks dir and opens it for adding report files: its root,
// finished if a kill interrupted a publication, and its manifest (a new
// one if it has none). done closes and unlocks.
func openForReport(dir string) (root *os.Root, m *Manifest, done func(), err error) {
	unlock, err := LockDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	if root, err = os.OpenRoot(dir); err != nil {
		unlock()
		return nil, nil, nil, fmt.Errorf("cannot open %s: %w", dir, err)
	}
	done = func() { root.Close(); unlock() }
	if err = rollForward(root); err == nil {
		m, err = readManifest(root, ManifestFile)
	}
	if err != nil {
		done()
		return nil, nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	if m == nil {
		m = &Manifest{Format: manifestFormat}
	}
	return root, m, done, nil
}
