package private

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFolder(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "mine")
	if err := Folder(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("made %v, %v; want a 0700 folder", fi, err)
	}
	os.Chmod(dir, 0o777)
	if err := Folder(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("an open folder of the user's is %v; want it closed to 0700", fi.Mode().Perm())
	}

	link := filepath.Join(base, "link")
	os.Symlink(dir, link)
	var fe *FolderError
	if err := Folder(link); !errors.As(err, &fe) {
		t.Errorf("a symbolic link: %v; want a *FolderError", err)
	}

	if os.Getuid() != 0 {
		t.Skip("a folder owned by someone else needs root to make")
	}
	theirs := filepath.Join(base, "theirs")
	os.Mkdir(theirs, 0o777)
	os.Chown(theirs, 65534, 65534)
	os.Chmod(theirs, 0o777)
	if err := Folder(theirs); !errors.As(err, &fe) || fe.Reason != "belongs to uid 65534" {
		t.Errorf("a folder owned by nobody: %v; want a *FolderError naming uid 65534", err)
	}
	if fi, _ := os.Stat(theirs); fi.Mode().Perm() != 0o777 {
		t.Errorf("root changed someone else's folder to %v", fi.Mode().Perm())
	}
}

func TestCacheFolder(t *testing.T) {
	base := t.TempDir()
	dir, temp, err := CacheFolder(base, "inputs")
	if err != nil || temp || dir != filepath.Join(base, "bpbench", "inputs") {
		t.Errorf("CacheFolder = %s, %v, %v; want %s", dir, temp, err, filepath.Join(base, "bpbench", "inputs"))
	}
	// No cache folder (its parent is missing): a fresh private temp folder.
	dir, temp, err = CacheFolder(filepath.Join(base, "no", "such"), "inputs")
	if err != nil || !temp {
		t.Fatalf("without a cache folder: %s, %v, %v; want a temporary folder", dir, temp, err)
	}
	os.RemoveAll(dir)
}
