package results

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Hidden names of a write in progress, at the top of an output folder.
const (
	stagePrefix = ".bpbench-stage-"  // a new result set being written, not yet committed: ignored, removed at the next start
	publishDir  = ".bpbench-publish" // a committed result set being moved into place: readers take its files first
)

// tempName matches the temporary files of an atomic write: bpbench's own
// (".NAME.tmp-RANDOM") and the write check of bpbench run
// (".bpbench-check-RANDOM"). They are removed at the next start.
var tempName = regexp.MustCompile(`^\.(.+\.tmp-[0-9A-Za-z]+|bpbench-check-[0-9]+)$`)

func isTemp(base string) bool { return tempName.MatchString(base) }

// CheckOut reports whether dir may receive a new result set, without
// changing anything: it may if it is absent, empty, or holds only what an
// earlier result set listed in its manifest (and bpbench's own lock,
// manifest and leftovers of an interrupted write). Otherwise the error is
// a *NotOwnedError naming up to five of the other files; a symbolic link
// anywhere in the folder is one of them.
func CheckOut(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read output folder %s: %w", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is a file, not a folder: choose an empty or new --out", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cannot read output folder %s: %w", dir, unwrapPath(err))
	}
	defer root.Close()
	cur, err := readManifest(root, ManifestFile)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	next, err := readManifest(root, path.Join(publishDir, ManifestFile))
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return checkOwned(root, dir, cur, next)
}

func checkOwned(root *os.Root, dir string, ms ...*Manifest) error {
	foreign, total, err := checkOwnedTree(root, ms...)
	if err != nil {
		return fmt.Errorf("cannot read output folder %s: %w", dir, unwrapPath(err))
	}
	if total > 0 {
		return &NotOwnedError{Dir: dir, Files: foreign, Total: total}
	}
	return nil
}

// Prepare makes the existing folder dir ready for a new result set; the
// caller holds dir's lock (LockDir). It finishes the publication of a
// result set that a kill interrupted after its commit, removes the staging
// folder and temporary files of one interrupted before, and then refuses,
// as CheckOut does, a folder holding anything else. It removes nothing
// from a folder it refuses. WriteDir prepares on its own; a command calls
// Prepare before it starts measuring, so that it never measures for a
// folder it cannot write.
func Prepare(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cannot open output folder %s: %w", dir, unwrapPath(err))
	}
	defer root.Close()
	_, err = prepare(root, dir)
	return err
}

// prepare is Prepare on an open folder; it returns the folder's manifest.
func prepare(root *os.Root, dir string) (*Manifest, error) {
	if err := rollForward(root); err != nil {
		return nil, fmt.Errorf("cannot finish the earlier write of %s: %w", dir, err)
	}
	m, err := readManifest(root, ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if err := checkOwned(root, dir, m); err != nil {
		return nil, err
	}
	// Owned: the leftovers of an interrupted write can go.
	return m, fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		switch {
		case p == ".":
		case d.IsDir() && !strings.Contains(p, "/") && strings.HasPrefix(base, stagePrefix):
			if err := root.RemoveAll(p); err != nil {
				return err
			}
			return fs.SkipDir
		case d.Type().IsRegular() && isTemp(base):
			return root.Remove(filepath.FromSlash(p))
		}
		return nil
	})
}

// rollForward finishes a committed publication: it moves every file of
// the new set still in the publish folder into place, removes the files
// of the old set that the new one does not list, and puts the new manifest
// in place last. Each step can be repeated, so a kill during it is
// finished by the next writer. A publish folder without a manifest is what
// is left after the last step and is removed.
func rollForward(root *os.Root) error {
	next, err := readManifest(root, path.Join(publishDir, ManifestFile))
	if err != nil {
		return err
	}
	if next == nil {
		if _, err := root.Lstat(publishDir); err == nil {
			return root.RemoveAll(publishDir)
		}
		return nil
	}
	old, err := readManifest(root, ManifestFile)
	if err != nil {
		return err
	}
	dirs := map[string]bool{}
	for _, f := range next.Files {
		src := path.Join(publishDir, f.Name)
		if _, err := root.Lstat(filepath.FromSlash(src)); errors.Is(err, fs.ErrNotExist) {
			continue // moved already
		}
		d := path.Dir(f.Name)
		if !dirs[d] {
			if err := mkdirs(root, d); err != nil {
				return err
			}
			dirs[d] = true
		}
		if err := root.Rename(filepath.FromSlash(src), filepath.FromSlash(f.Name)); err != nil {
			return err
		}
	}
	for d := range dirs {
		if err := syncDir(root, d); err != nil {
			return err
		}
	}
	if old != nil {
		for _, f := range old.Files {
			if next.find(f.Name) != nil {
				continue
			}
			if err := removeFile(root, f.Name); err != nil {
				return err
			}
		}
	}
	if err := root.Rename(filepath.FromSlash(path.Join(publishDir, ManifestFile)), ManifestFile); err != nil {
		return err
	}
	if err := syncDir(root, "."); err != nil {
		return err
	}
	return root.RemoveAll(publishDir)
}

// removeFile removes the file name lists, never following a link on the
// way: a folder that is a symbolic link now is not entered.
func removeFile(root *os.Root, name string) error {
	if err := noLinks(root, path.Dir(name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	fi, err := root.Lstat(filepath.FromSlash(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return nil // not a file it wrote
	}
	return root.Remove(filepath.FromSlash(name))
}

// noLinks checks that every step of the folder path d inside root is a
// folder, not a symbolic link.
func noLinks(root *os.Root, d string) error { return folders(root, d, false) }

// mkdirs makes the folder path d inside root where it is missing,
// refusing a symbolic link at any step.
func mkdirs(root *os.Root, d string) error { return folders(root, d, true) }

func folders(root *os.Root, d string, create bool) error {
	if d == "." || d == "" {
		return nil
	}
	p := ""
	for part := range strings.SplitSeq(d, "/") {
		p = path.Join(p, part)
		if create {
			if err := root.Mkdir(filepath.FromSlash(p), 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
		fi, err := root.Lstat(filepath.FromSlash(p))
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a folder (a symbolic link or a file): bpbench never writes through a symbolic link; remove it", p)
		}
	}
	return nil
}

// openRegular opens the regular file name in root for reading, refusing a
// symbolic link at any step.
func openRegular(root *os.Root, name string) (*os.File, error) {
	if err := noLinks(root, path.Dir(name)); err != nil {
		return nil, err
	}
	fi, err := root.Lstat(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (a symbolic link?): bpbench reads only the files it wrote and never follows a link; remove it", name)
	}
	f, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	if got, err := f.Stat(); err != nil || !os.SameFile(fi, got) {
		f.Close()
		return nil, fmt.Errorf("%s changed while it was opened", name)
	}
	return f, nil
}

// createTemp creates a new file in the folder d of root, named
// ".BASE.tmp-RANDOM", with O_EXCL: it never opens an existing file or
// follows a link planted at its name.
// It returns the file and its name in root.
func createTemp(root *os.Root, d, base string) (*os.File, string, error) {
	if err := noLinks(root, d); err != nil {
		return nil, "", err
	}
	for {
		name := filepath.FromSlash(path.Join(d, "."+base+".tmp-"+rand.Text()[:12]))
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, name, err
		}
	}
}

// writeSync writes data to f, syncs and closes it.
func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir syncs the folder d of root, so that the renames into it last.
func syncDir(root *os.Root, d string) error {
	f, err := root.Open(filepath.FromSlash(d))
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// NewPartialDir makes a new folder beside out for the runs of an
// incomplete run, so that out's complete result is kept: OUT-partial-TIME,
// the time in UTC as 20060102T150405Z (so the folders sort by time), with
// -2, -3... when one of that second exists. It never reuses a folder.
func NewPartialDir(out string, now time.Time) (string, error) {
	base := filepath.Clean(out)
	if b := filepath.Base(base); b == "." || b == ".." || b == string(filepath.Separator) {
		abs, err := filepath.Abs(base)
		if err != nil {
			return "", err
		}
		base = abs
	}
	base += "-partial-" + now.UTC().Format("20060102T150405Z")
	for i := 1; i <= 100; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(name, 0o777)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("cannot create %s: %w", name, unwrapPath(err))
		}
	}
	return "", fmt.Errorf("cannot create %s: 100 folders of that second exist already", base)
}
