package workloads

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Node scripts run from a private folder of the user's under the
// user's cache folder; one that someone else made beforehand (as root:
// owned by nobody, open to all) is refused, never written into or run from.
func TestNodeScriptsFolderIsPrivate(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	argv, err := nodeCommand("w.js", []byte("// script\n"), "null", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	script := argv[len(argv)-3]
	if !strings.HasPrefix(script, filepath.Join(cache, "bpbench", "node")+string(filepath.Separator)) {
		t.Errorf("script at %s; want it under %s", script, filepath.Join(cache, "bpbench", "node"))
	}
	fi, err := os.Stat(filepath.Dir(script))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the script's folder: %v, %v; want mode 0700", fi.Mode(), err)
	}

	if os.Getuid() != 0 {
		t.Skip("making a folder owned by someone else needs root")
	}
	other := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", other)
	planted := filepath.Join(other, "bpbench", "node")
	if err := os.MkdirAll(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(planted), planted} {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o777)
	}
	_, err = nodeCommand("w.js", []byte("// script\n"), "null", 1, 0)
	var fe *InputFolderError
	if !errors.As(err, &fe) {
		t.Fatalf("a folder owned by nobody: %v; want an *InputFolderError", err)
	}
	if left, _ := os.ReadDir(planted); len(left) != 0 {
		t.Errorf("wrote %d files into someone else's folder", len(left))
	}
}
