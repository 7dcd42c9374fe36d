package workloads

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/bpbench/bpbench/internal/private"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/size"
)

// Generated inputs.
//
// gzip-pipeline and slow-consumer read a generated access log of exactly
// --input-size bytes. It is generated once and kept in the user's cache
// folder, <user cache folder>/bpbench/inputs (os.UserCacheDir: on Linux
// $XDG_CACHE_HOME, else $HOME/.cache), so that the harness's warm-up run
// pays for it and the measured runs only read it. Where there is no user
// cache folder, each run generates its input into a fresh private
// temporary folder and removes it as soon as the input is open.
//
// The folder is private: made with mode 0700, and used only if it is a
// folder (not a symbolic link) of the user's, even for root; one of the
// user's that an older bpbench left open to others is closed. A folder
// of someone else's is refused with an *InputFolderError.
//
// Beside each input, written after it is complete, is a sidecar in
// sha256sum's format (access-8MiB.log.sha256). An input is used only if
// it is the user's regular file of exactly the size asked for and its
// SHA-256 is the sidecar's; otherwise it is removed and generated again.
// Checking costs a read of the file (about 5ms for the default 8MiB).
//
// Generation refuses, before writing a byte, a size that does not fit
// the free space of the folder's filesystem less a margin: a tenth of
// the filesystem, at most 1GiB (inputMargin), left for everything else
// on the machine. The refusal is a *ParamError for PInputSize. Every
// write's error stops generation at once, as does ctx (bpbench cancels
// it on SIGINT and SIGTERM); either way the temporary file is removed.
// Temporaries are named .gen-<pid>-*, so that one whose writer was killed
// outright (SIGKILL, a --timeout) is removed at the next start: when its
// pid is gone, or when it has not been written to for staleAfter.

// inputBufSize is how much generation buffers between writes.
const inputBufSize = 1 << 20

// staleAfter is how long a temporary may go unwritten before the next
// start removes it whatever its pid says (the pid may have been reused);
// a live writer writes every few milliseconds.
const staleAfter = 10 * time.Minute

// inputMargin is the free space an input must leave on its filesystem of
// total bytes: a tenth of it, at most 1GiB.
func inputMargin(total int64) int64 { return min(total/10, 1<<30) }

// Check reports whether p's parameters can be met before w runs: for a
// workload that reads a generated input, that the input is cached or fits
// the free space of its folder's filesystem. Its errors are *ParamError
// (the size does not fit) or *InputFolderError.
func (w *Workload) Check(p Params) error {
	if !slices.Contains(w.Uses, PInputSize) {
		return nil
	}
	n := w.Resolve(p).InputSize
	dir, temp, err := inputCache{}.folder()
	if err != nil {
		return err
	}
	if temp {
		defer os.RemoveAll(dir)
	} else if fi, err := os.Lstat(inputPath(dir, n)); err == nil && userFile(fi, n) {
		// Cached: Run checks its content, and the space it takes is
		// what a new one would.
		return nil
	}
	return inputCache{}.fits(dir, n)
}

// An InputFolderError is a folder of bpbench's cache (generated inputs,
// the Node scripts) that bpbench will not use: a symbolic link, not a
// folder, or someone else's. Only the user can fix it.
type InputFolderError = private.FolderError

// diskSpace is a filesystem's size and the space a user may still fill.
type diskSpace struct{ avail, total int64 }

// An inputCache is where generated inputs live. Its zero value is the
// user's cache folder and the filesystem's own free space; tests set
// base and statfs.
type inputCache struct {
	base   string                              // the folder holding bpbench/inputs; "" is os.UserCacheDir()
	statfs func(dir string) (diskSpace, error) // the free space of dir's filesystem; nil is statfs(2)
}

// open returns the generated input of exactly n bytes, open for reading
// from its start: the cached one if it checks out, else a new one.
func (c inputCache) open(ctx context.Context, n int64) (*os.File, error) {
	dir, temp, err := c.folder()
	if err != nil {
		return nil, err
	}
	if temp {
		// Unix keeps an open file readable after its folder is gone.
		defer os.RemoveAll(dir)
	}
	sweep(dir)
	sweepTempFolders()
	if f, err := openInput(dir, n); err == nil {
		return f, nil
	}
	path := inputPath(dir, n)
	os.Remove(path + ".sha256")
	os.Remove(path)
	if err := c.fits(dir, n); err != nil {
		return nil, err
	}
	return generate(ctx, dir, n)
}

// folder returns the private folder inputs are kept in, made if need be,
// and whether it is a temporary one, for this process alone.
func (c inputCache) folder() (dir string, temp bool, err error) {
	return private.CacheFolder(c.base, "inputs")
}

// fits returns a *ParamError if n bytes do not fit in dir's filesystem
// with inputMargin to spare.
func (c inputCache) fits(dir string, n int64) error {
	statfs := c.statfs
	if statfs == nil {
		statfs = freeSpace
	}
	d, err := statfs(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the free space of %s: %w", dir, err)
	}
	margin := inputMargin(d.total)
	if n <= d.avail-margin {
		return nil
	}
	return &ParamError{Param: PInputSize, Value: size.Format(n),
		Reason: fmt.Sprintf("does not fit on the disk: the inputs folder %s has %s free, and bpbench leaves %s of its filesystem free; give at most %s, or set XDG_CACHE_HOME to a folder on a larger disk",
			dir, size.Human(d.avail), size.Human(margin), size.Human(max(d.avail-margin, 0)))}
}

// inputPath is the path of the input of n bytes in dir.
func inputPath(dir string, n int64) string {
	return filepath.Join(dir, "access-"+size.Format(n)+".log")
}

// openInput opens the input of n bytes in dir if it checks out: the
// user's regular file (not a symbolic link) of n bytes whose SHA-256 is
// its sidecar's.
func openInput(dir string, n int64) (*os.File, error) {
	path := inputPath(dir, n)
	want, err := readSidecar(path)
	if err != nil {
		return nil, err
	}
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !userFile(fi, n) {
		err = fmt.Errorf("%s is not a file of %d bytes of this user's", path, n)
	}
	if err == nil {
		h := sha256.New()
		if _, err = io.Copy(h, f); err == nil && !bytes.Equal(h.Sum(nil), want) {
			err = fmt.Errorf("%s does not match its checksum", path)
		}
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readSidecar returns the SHA-256 that path's sidecar records.
func readSidecar(path string) ([]byte, error) {
	f, err := openNoFollow(path + ".sha256")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !userFile(fi, fi.Size()) || fi.Size() > 4<<10 {
		return nil, fmt.Errorf("%s.sha256 is not a checksum file of this user's", path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	sum, name, _ := strings.Cut(strings.TrimSuffix(string(b), "\n"), "  ")
	if name != filepath.Base(path) {
		return nil, fmt.Errorf("%s.sha256 does not name %s", path, filepath.Base(path))
	}
	return hex.DecodeString(sum)
}

// userFile reports whether fi is a regular file of the user's of n bytes.
func userFile(fi fs.FileInfo, n int64) bool {
	return fi.Mode().IsRegular() && fi.Size() == n && private.OwnedByUser(fi)
}

// openNoFollow opens path for reading, refusing a symbolic link.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
}

// tempPrefix names this process's temporaries: sweep reads the pid back.
func tempPrefix() string { return ".gen-" + strconv.Itoa(os.Getpid()) + "-" }

// generate writes the input of n bytes into dir under a temporary name,
// renames it into place, then writes its sidecar, and returns the input open
// for reading from its start (what was written, whatever another process
// does to the names meanwhile). The temporaries are removed on every
// error, ctx's included.
func generate(ctx context.Context, dir string, n int64) (*os.File, error) {
	path := inputPath(dir, n)
	f, err := os.CreateTemp(dir, tempPrefix()+"*")
	if err != nil {
		return nil, fmt.Errorf("creating the input: %w", err)
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	err = writeLog(ctx, f, h, n)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		f.Close()
		return nil, fmt.Errorf("generating the input %s was cut off (%w); the partial file is removed", path, err)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
		if err == nil {
			// Without its sidecar the input is never used.
			if err = writeSidecar(dir, path, h.Sum(nil)); err != nil {
				os.Remove(path)
			}
		}
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("writing the input %s: %w; the partial file is removed", path, err)
	}
	return f, nil
}

// writeSidecar writes the sidecar of the input at path, in sha256sum's
// format, through a temporary in dir.
func writeSidecar(dir, path string, sum []byte) error {
	s, err := os.CreateTemp(dir, tempPrefix()+"*")
	if err != nil {
		return err
	}
	defer os.Remove(s.Name())
	_, err = s.WriteString(hex.EncodeToString(sum) + "  " + filepath.Base(path) + "\n")
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(s.Name(), path+".sha256")
}

// sweep removes the temporaries in dir that no live generator is
// writing: a .gen-<pid>-* whose pid is gone, or any .gen-* unwritten for
// staleAfter. Only the user's regular files are touched.
func sweep(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), ".gen-")
		if !ok {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !userFile(fi, fi.Size()) {
			continue
		}
		if stale(rest, fi) {
			os.Remove(p)
		}
	}
}

// stale reports whether a temporary named <prefix><pid>-<random> with
// fi's times is left over from a dead writer.
func stale(rest string, fi fs.FileInfo) bool {
	if time.Since(fi.ModTime()) > staleAfter {
		return true
	}
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	return ok && err == nil && pid > 0 && !processAlive(pid)
}

// sweepTempFolders removes the temporary input folders in the system temp
// folder that dead processes left (bpbench-input-<pid>-*, the user's),
// and the .gen-* temporaries older bpbench versions left in the shared
// bpbench-input-<uid> folder.
func sweepTempFolders() {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	legacy := "bpbench-input-" + strconv.Itoa(os.Getuid())
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "bpbench-input-")
		if !ok {
			continue
		}
		p := filepath.Join(tmp, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() {
			continue
		}
		if !private.OwnedByUser(fi) {
			continue
		}
		switch {
		case e.Name() == legacy:
			sweep(p)
		case strings.Contains(rest, "-") && stale(rest, fi):
			os.RemoveAll(p)
		}
	}
}

// writeLog writes n bytes of plausible access-log lines to w and h: varied
// enough that gzip works for its ratio (about 4-6x), not a repeated
// constant. It stops at the first write error, or when ctx is done.
func writeLog(ctx context.Context, w io.Writer, h hash.Hash, n int64) error {
	paths := []string{"/", "/index.html", "/api/v1/users", "/api/v1/orders", "/static/app.js", "/static/app.css", "/login", "/healthz"}
	codes := []string{"200", "200", "200", "304", "404", "500", "201", "302"}
	buf := make([]byte, 0, inputBufSize+256)
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		h.Write(buf)
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	var x uint64 = 0x9E3779B97F4A7C15
	var written int64
	for i := 0; written < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		start := len(buf)
		buf = append(buf, "10.0."...)
		buf = strconv.AppendUint(buf, x>>56, 10)
		buf = append(buf, '.')
		buf = strconv.AppendUint(buf, (x>>48)&0xff, 10)
		buf = append(buf, " - - [22/Nov/2026:00:00:"...)
		buf = strconv.AppendInt(buf, int64(i%60), 10)
		buf = append(buf, " +0000] \"GET "...)
		buf = append(buf, paths[x%uint64(len(paths))]...)
		buf = append(buf, "?id="...)
		buf = strconv.AppendUint(buf, x%100000, 10)
		buf = append(buf, " HTTP/1.1\" "...)
		buf = append(buf, codes[(x>>8)%uint64(len(codes))]...)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, (x>>20)%65536, 10)
		buf = append(buf, '\n')
		if rest := n - written; int64(len(buf)-start) > rest {
			buf = buf[:start+int(rest)]
		}
		written += int64(len(buf) - start)
		if len(buf) >= inputBufSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
