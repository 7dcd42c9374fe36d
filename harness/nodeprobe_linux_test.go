package harness

import (
	"github.com/bpbench/bpbench/internal/private"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The node probe's folder is made fresh, closed to others: a folder made in
// advance under a predictable name (by someone else) is never used.
func TestNodePreloadFolderIsFresh(t *testing.T) {
	premade := filepath.Join(os.TempDir(), nodeDirPrefix+"0")
	if err := os.Mkdir(premade, 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(premade)
	path, err := writeNodePreload()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(path))
	fi, err := os.Lstat(filepath.Dir(path))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || !private.OwnedByUser(fi) {
		t.Fatalf("folder %s: %v %v; want a folder of this user's, mode 0700", filepath.Dir(path), fi.Mode(), err)
	}
	if strings.HasPrefix(path, premade+string(filepath.Separator)) {
		t.Errorf("the probe went to the pre-made folder %s", premade)
	}
	again, err := writeNodePreload()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(again))
	if filepath.Dir(again) == filepath.Dir(path) {
		t.Errorf("two Runs share the folder %s", filepath.Dir(path))
	}
}

// NODE_OPTIONS quotes the probe's path: a temp folder with a space (or a
// quote) in its name still loads it.
func TestNodeOptionsQuotesThePath(t *testing.T) {
	tmp := filepath.Join(t.TempDir(), `with space "and" quote`)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	t.Setenv("NODE_OPTIONS", "")
	path, err := writeNodePreload()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(path))
	cfg := &Config{Interval: DefaultInterval, nodePreload: path}
	var opts string
	for _, kv := range childEnv(nil, cfg, Cell{MayProbe: true}, true) {
		if v, ok := strings.CutPrefix(kv, "NODE_OPTIONS="); ok {
			opts = v
		}
	}
	if want := "--require " + nodeQuote(path); opts != want {
		t.Fatalf("NODE_OPTIONS=%s; want %s", opts, want)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node to load it")
	}
	// node loads the preload (which stays quiet without the probe pipe)
	// and runs the script.
	cmd := exec.Command(node, "-e", `console.log(require.cache[process.argv[1]] ? "loaded" : "missing")`, path)
	cmd.Env = append(os.Environ(), "NODE_OPTIONS="+opts)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "loaded" {
		t.Errorf("node with NODE_OPTIONS=%s: %s %v", opts, out, err)
	}
}
