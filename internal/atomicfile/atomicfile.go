// Package atomicfile writes a file whole or not at all, for the files
// bpbench writes outside a result set's own format (package
// internal/results owns that): charts in a folder of the user's choosing,
// the trend page, a history export.
package atomicfile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to path through a new temporary file in path's folder,
// renamed over path once complete: a reader, or a kill at any instant,
// sees the old file or the new one, never a part. The temporary file is
// created with O_EXCL, so it never opens an existing file or follows a
// symbolic link planted at its name; the rename replaces a link at path
// instead of writing through it.
func Write(path string, data []byte) error {
	err := write(path, data)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func write(path string, data []byte) error {
	dir, base := filepath.Split(path)
	var f *os.File
	var err error
	for range 100 {
		tmp := filepath.Join(dir, "."+base+".tmp-"+rand.Text()[:10])
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
