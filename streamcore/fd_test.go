package streamcore_test

// File-descriptor tests: a Pipeline over files that fails midway (or is
// cancelled) must leave no descriptor open when it returns (L2, L5).

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/bpbench/bpbench/streamcore"
)

// ctCountFDs returns the number of open descriptors of this process.
func ctCountFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// ctTap is a pass-through Transform that calls fn for chunk i (from 1); an
// error from fn fails the transform.
func ctTap(t *testing.T, fn func(i int) error) *streamcore.Transform[[]byte, []byte] {
	t.Helper()
	var n atomic.Int64
	tr, err := streamcore.NewTransform(func(_ context.Context, c []byte, push func([]byte) bool) error {
		if err := fn(int(n.Add(1))); err != nil {
			return err
		}
		push(c)
		return nil
	}, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(16 << 10)})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestFiles_L2_NoDescriptorLeft(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.log")
	data := ctRandomBytes(1<<20, 11)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestSpeed)
	zw.Write(data)
	zw.Close()
	corrupt := zipped.Bytes()
	corrupt = append(corrupt[:len(corrupt)/2:len(corrupt)/2], bytes.Repeat([]byte{0xAA}, len(corrupt)/2)...)
	corruptPath := filepath.Join(dir, "corrupt.gz")
	os.WriteFile(corruptPath, corrupt, 0o644)

	// Warm up: the runtime's poller opens its descriptors on first use.
	if f, err := os.Open(in); err == nil {
		f.Close()
	}
	fileOpts := streamcore.FileOptions{HighWaterMark: streamcore.HWM(16 << 10)}
	open := func(t *testing.T, path string) *streamcore.Readable[[]byte] {
		r, err := streamcore.OpenFile(path, fileOpts)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	create := func(t *testing.T, path string) *streamcore.Writable[[]byte] {
		w, err := streamcore.CreateFile(path, fileOpts)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	gz := func(t *testing.T) *streamcore.Transform[[]byte, []byte] {
		g, err := streamcore.NewGzip(gzip.BestSpeed, streamcore.TransformOptions[[]byte]{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	type stage interface {
		streamcore.Stream
		Destroyed() bool
	}

	for _, c := range []struct {
		name  string
		build func(t *testing.T, cancel func(), during *int) []streamcore.Stream
		want  error // nil: success
	}{
		{"success", func(t *testing.T, _ func(), _ *int) []streamcore.Stream {
			return []streamcore.Stream{open(t, in), gz(t), create(t, filepath.Join(dir, "ok.gz"))}
		}, nil},
		{"sink fails (ENOSPC)", func(t *testing.T, _ func(), _ *int) []streamcore.Stream {
			return []streamcore.Stream{open(t, in), gz(t), create(t, "/dev/full")}
		}, syscall.ENOSPC},
		{"middle transform fails", func(t *testing.T, _ func(), during *int) []streamcore.Stream {
			tap := ctTap(t, func(i int) error {
				if i == 20 {
					*during = ctCountFDs(t)
					return errCtBoom
				}
				return nil
			})
			return []streamcore.Stream{open(t, in), tap, gz(t), create(t, filepath.Join(dir, "boom.gz"))}
		}, errCtBoom},
		{"context cancelled", func(t *testing.T, cancel func(), during *int) []streamcore.Stream {
			tap := ctTap(t, func(i int) error {
				if i == 20 {
					*during = ctCountFDs(t)
					cancel()
				}
				return nil
			})
			return []streamcore.Stream{open(t, in), tap, gz(t), create(t, filepath.Join(dir, "cancel.gz"))}
		}, context.Canceled},
		{"source read fails", func(t *testing.T, _ func(), _ *int) []streamcore.Stream {
			return []streamcore.Stream{open(t, dir), gz(t), create(t, filepath.Join(dir, "dir.gz"))} // read(2) on a directory: EISDIR
		}, syscall.EISDIR},
		{"corrupt gzip", func(t *testing.T, _ func(), _ *int) []streamcore.Stream {
			gun, _ := streamcore.NewGunzip(streamcore.TransformOptions[[]byte]{})
			return []streamcore.Stream{open(t, corruptPath), gun, create(t, filepath.Join(dir, "corrupt.out"))}
		}, nil /* any error */},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := ctCountFDs(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			during := -1
			streams := c.build(t, cancel, &during)
			err := streamcore.Pipeline(ctx, streams...)
			switch {
			case c.name == "success":
				if err != nil {
					t.Fatal(err)
				}
			case c.name == "corrupt gzip":
				if err == nil {
					t.Fatal("Pipeline succeeded on corrupt input")
				}
			case !errors.Is(err, c.want):
				t.Fatalf("Pipeline: %v, want %v", err, c.want)
			}
			if n := ctCountFDs(t); n != base {
				t.Fatalf("%d descriptors open after Pipeline returned, %d before", n, base)
			}
			if during >= 0 && during < base+2 {
				t.Fatalf("only %d descriptors open midway (base %d): the files were not open", during, base)
			}
			if err != nil {
				for i, s := range streams {
					if !ctClosed(s.Done()) {
						t.Fatalf("stage %d not closed", i)
					}
					// Every stage that had not completed was destroyed.
					if !s.(stage).Destroyed() {
						t.Fatalf("stage %d not destroyed", i)
					}
				}
			}
		})
	}

	// The successful run produced a valid gzip of the input.
	if back := ctGunzip(t, filepath.Join(dir, "ok.gz")); !bytes.Equal(back, data) {
		t.Fatalf("round trip through files: %d bytes, want %d", len(back), len(data))
	}
}
