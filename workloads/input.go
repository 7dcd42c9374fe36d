package workloads

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/bpbench/bpbench/internal/size"
)

// inputFile returns the path of a generated access log of exactly n bytes,
// creating it on first use in a folder of this user's in the system temp
// folder and reusing it after (the harness's warm-up run pays for it). It
// is written to a temporary name and renamed, so a killed run never leaves
// a short file behind.
func inputFile(n int64) (string, error) {
	dir := userTempDir("bpbench-input")
	path := filepath.Join(dir, "access-"+size.Format(n)+".log")
	if fi, err := os.Stat(path); err == nil && fi.Size() == n {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating input folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".gen-*")
	if err != nil {
		return "", fmt.Errorf("creating input file: %w", err)
	}
	defer os.Remove(f.Name())
	if err := writeLog(f, n); err != nil {
		f.Close()
		return "", fmt.Errorf("writing input file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}

// userTempDir is a folder of this user's under the system temp folder: a
// folder shared by every user would belong to the first, and the next one
// could not write in it.
func userTempDir(name string) string {
	return filepath.Join(os.TempDir(), name+"-"+strconv.Itoa(os.Getuid()))
}

// writeLog writes n bytes of plausible access-log lines: varied enough that
// gzip works for its ratio (about 4-6x), not a repeated constant.
func writeLog(f *os.File, n int64) error {
	bw := bufio.NewWriterSize(f, 1<<20)
	paths := []string{"/", "/index.html", "/api/v1/users", "/api/v1/orders", "/static/app.js", "/static/app.css", "/login", "/healthz"}
	codes := []string{"200", "200", "200", "304", "404", "500", "201", "302"}
	var buf []byte
	var x uint64 = 0x9E3779B97F4A7C15
	var written int64
	for i := 0; written < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		buf = buf[:0]
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
		if rest := n - written; int64(len(buf)) > rest {
			buf = buf[:rest]
		}
		bw.Write(buf)
		written += int64(len(buf))
	}
	return bw.Flush()
}
