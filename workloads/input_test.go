package workloads

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCache is an inputCache under a fresh folder, with the free space
// of its filesystem unless statfs is given.
func testCache(t *testing.T) (inputCache, string) {
	t.Helper()
	base := t.TempDir()
	return inputCache{base: base}, filepath.Join(base, "bpbench", "inputs")
}

// readInput opens the input of n bytes from c and returns its content.
func readInput(t *testing.T, c inputCache, n int64) []byte {
	t.Helper()
	f, err := c.open(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestInputIsExactCachedAndPrivate(t *testing.T) {
	c, dir := testCache(t)
	first := readInput(t, c, 100_001)
	if len(first) != 100_001 || !bytes.Contains(first, []byte("GET /")) {
		t.Fatalf("input of %d bytes; want 100001 bytes of access log", len(first))
	}
	path := inputPath(dir, 100_001)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if again := readInput(t, c, 100_001); !bytes.Equal(again, first) {
		t.Fatal("second open read other bytes")
	}
	if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("second open regenerated the input")
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if fi, err := os.Lstat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v; want a 0700 folder", d, fi.Mode(), err)
		}
	}
	want := []string{filepath.Base(path), filepath.Base(path) + ".sha256"}
	if got := listDir(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("inputs folder holds %q; want %q", got, want)
	}
}

// Root can write anything: an input replaced with zeros (the gzip
// workload "got faster") is caught by its checksum and made again.
func TestInputReplacedIsRegenerated(t *testing.T) {
	c, dir := testCache(t)
	want := readInput(t, c, 64<<10)
	path := inputPath(dir, 64<<10)
	if err := os.WriteFile(path, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readInput(t, c, 64<<10); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, %d of them zero, after the input was replaced with zeros; want the input made again",
			len(got), bytes.Count(got, []byte{0}))
	}
	// A missing or foreign sidecar is no better.
	if err := os.Remove(path + ".sha256"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readInput(t, c, 64<<10); !bytes.Equal(got, want) {
		t.Fatal("an input without its checksum was used")
	}
}

func TestInputTooLargeIsRefusedBeforeWriting(t *testing.T) {
	c, dir := testCache(t)
	// 100MiB filesystem, 50MiB free: 10MiB stays free, 40MiB fit.
	c.statfs = func(string) (diskSpace, error) { return diskSpace{avail: 50 << 20, total: 100 << 20}, nil }
	if err := c.fits(dir, 40<<20); err != nil {
		t.Errorf("40MiB of 50MiB free less 10MiB: %v", err)
	}
	_, err := c.open(t.Context(), 40<<20+1)
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Param != PInputSize {
		t.Fatalf("open = %v; want a *ParamError for %s", err, PInputSize)
	}
	for _, s := range []string{"41943041B", "50.0MiB free", "10.0MiB", "at most 40.0MiB", "XDG_CACHE_HOME"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("the inputs folder holds %q after a refusal; want nothing written", got)
	}
}

func TestInputMargin(t *testing.T) {
	for _, c := range []struct{ total, want int64 }{{8 << 20, 8 << 20 / 10}, {5 << 30, 512 << 20}, {1 << 40, 1 << 30}} {
		if got := inputMargin(c.total); got != c.want {
			t.Errorf("inputMargin(%d) = %d, want %d", c.total, got, c.want)
		}
	}
}

// A write that fails stops generation at once, and the partial file goes.
func TestInputWriteErrorStops(t *testing.T) {
	calls := 0
	w := writerFunc(func(p []byte) (int, error) {
		calls++
		return 0, syscall.ENOSPC
	})
	err := writeLog(t.Context(), w, sha256.New(), 1<<40)
	if !errors.Is(err, syscall.ENOSPC) || calls != 1 {
		t.Fatalf("writeLog = %v after %d writes; want ENOSPC after the first", err, calls)
	}
}

// A full disk: as root, an 8MiB tmpfs that the input does not fit in
// (the free-space check told otherwise, as it may when something else
// fills the disk meanwhile).
func TestInputFullDiskFailsFastAndLeavesNothing(t *testing.T) {
	base := tmpfs(t, "8m")
	c := inputCache{base: base, statfs: func(string) (diskSpace, error) { return diskSpace{avail: 1 << 40, total: 1 << 41}, nil }}
	start := time.Now()
	_, err := c.open(t.Context(), 64<<20)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("open = %v; want ENOSPC", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("failed after %v; want at once", d)
	}
	if got := listDir(t, filepath.Join(base, "bpbench", "inputs")); len(got) != 0 {
		t.Errorf("the inputs folder holds %q after the failure; want nothing", got)
	}
	// And the check itself, on the real filesystem's figures.
	_, err = inputCache{base: base}.open(t.Context(), 8<<20)
	var pe *ParamError
	if !errors.As(err, &pe) {
		t.Errorf("8MiB on an 8MiB tmpfs: %v; want a *ParamError", err)
	}
}

// tmpfs mounts a tmpfs of the given size on a fresh folder, unmounted at
// the end of the test; it skips the test unless it runs as root.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// SIGINT and SIGTERM cancel ctx: generation stops and removes its file.
func TestInputCutOffLeavesNothing(t *testing.T) {
	c, dir := testCache(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.open(ctx, 4<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("open = %v; want context.Canceled", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("the inputs folder holds %q after a cut-off; want nothing", got)
	}
}

// A generator killed outright (SIGKILL, a --timeout) leaves its
// temporary: the next start removes it, and leaves a live writer's.
func TestDeadWritersTemporariesAreSwept(t *testing.T) {
	c, dir := testCache(t)
	readInput(t, c, 1000)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadTemp := filepath.Join(dir, ".gen-"+strconv.Itoa(dead.Process.Pid)+"-123")
	liveTemp := filepath.Join(dir, tempPrefix()+"456")
	oldTemp := filepath.Join(dir, ".gen-789")
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{deadTemp, liveTemp, oldTemp, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(oldTemp, old, old); err != nil {
		t.Fatal(err)
	}
	readInput(t, c, 1000)
	for p, want := range map[string]bool{deadTemp: false, oldTemp: false, liveTemp: true, other: true} {
		if _, err := os.Lstat(p); (err == nil) != want {
			t.Errorf("%s: exists %v after a start, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// A folder that is not the user's private one is never used.
func TestInputFolderNotTheUsersIsRefused(t *testing.T) {
	t.Run("symlink", func(t *testing.T) {
		c, dir := testCache(t)
		elsewhere := t.TempDir()
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(elsewhere, dir); err != nil {
			t.Fatal(err)
		}
		_, err := c.open(t.Context(), 1000)
		var fe *InputFolderError
		if !errors.As(err, &fe) {
			t.Fatalf("open = %v; want an *InputFolderError", err)
		}
		if got := listDir(t, elsewhere); len(got) != 0 {
			t.Errorf("the link's target holds %q; want nothing written", got)
		}
	})
	t.Run("another uid", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("making a folder of another user's needs root")
		}
		c, dir := testCache(t)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		// Made beforehand by nobody (65534), open to all.
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		_, err := c.open(t.Context(), 1000)
		var fe *InputFolderError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "uid 65534") {
			t.Fatalf("open = %v; want an *InputFolderError naming uid 65534", err)
		}
		if got := listDir(t, dir); len(got) != 0 {
			t.Errorf("nobody's folder holds %q; want nothing written", got)
		}
	})
	t.Run("opened to others", func(t *testing.T) {
		c, dir := testCache(t)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		readInput(t, c, 1000)
		if fi, err := os.Lstat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("the user's folder left %v; want it closed to 0700", fi.Mode())
		}
	})
}

// Without a cache folder the input goes to a private temporary folder,
// removed once the input is open.
func TestInputWithoutCacheFolder(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := inputCache{base: filepath.Join(tmp, "no-home", ".cache")}
	if got := readInput(t, c, 1000); len(got) != 1000 {
		t.Fatalf("read %d bytes; want 1000", len(got))
	}
	if got := listDir(t, tmp); len(got) != 0 {
		t.Errorf("the temp folder holds %q; want the input's folder gone", got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Temporaries an older bpbench left in its shared folder in the system
// temp folder, and a dead process's temporary input folder, go too.
func TestOldTemporariesAreSwept(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	legacy := filepath.Join(tmp, "bpbench-input-"+strconv.Itoa(os.Getuid()))
	dead := filepath.Join(tmp, "bpbench-input-999999999-1")
	for _, d := range []string{legacy, dead} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	partial := filepath.Join(legacy, ".gen-1234")
	if err := os.WriteFile(partial, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(partial, old, old); err != nil {
		t.Fatal(err)
	}
	c, _ := testCache(t)
	readInput(t, c, 1000)
	for _, p := range []string{partial, dead} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there after a start", p)
		}
	}
}
