package streamcore_test

// Tests for lent chunks (B5): a file source and gzip reuse a chunk's buffer
// only once a single piped destination is done with it, and a chunk anyone
// else receives is never overwritten under them.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/bpbench/bpbench/streamcore"
)

// ctOffsetFile writes a file of n bytes in which every 8-byte word is its
// own offset, so that any chunk overwritten by a later read shows.
func ctOffsetFile(t testing.TB, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(data[i:], uint64(i))
	}
	path := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// ctTextFile writes n bytes of log-like text, which gzip compresses in
// blocks, as it would a real log.
func ctTextFile(t testing.TB, n int) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString("127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /item/")
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(" HTTP/1.0\" 200 ")
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString("\n")
	}
	data := b.Bytes()[:n]
	path := filepath.Join(t.TempDir(), "in.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func ctOpen(t testing.TB, path string, hwm int) *streamcore.Readable[[]byte] {
	t.Helper()
	r, err := streamcore.OpenFile(path, streamcore.FileOptions{HighWaterMark: streamcore.HWM(hwm)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ctCreate(t testing.TB, path string, hwm int) *streamcore.Writable[[]byte] {
	t.Helper()
	w, err := streamcore.CreateFile(path, streamcore.FileOptions{HighWaterMark: streamcore.HWM(hwm)})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func ctGunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The reused buffers carry every byte intact, file to file and through gzip,
// whatever the highWaterMark (small ones keep many chunks on loan).
func TestLend_B5_PipelinesIntact(t *testing.T) {
	in, data := ctOffsetFile(t, 3<<20+123)
	textIn, text := ctTextFile(t, 3<<20+77)
	for _, hwm := range []int{1, 16 << 10, 64 << 10, 1 << 20} {
		out := filepath.Join(t.TempDir(), "out")
		if err := streamcore.Pipeline(context.Background(), ctOpen(t, in, hwm), ctCreate(t, out, hwm)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("hwm %d: file copy differs from its input", hwm)
		}
		for _, src := range []struct {
			path string
			data []byte
		}{{in, data}, {textIn, text}} {
			gz, err := streamcore.NewGzip(gzip.BestSpeed, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(hwm)})
			if err != nil {
				t.Fatal(err)
			}
			if err := streamcore.Pipeline(context.Background(), ctOpen(t, src.path, hwm), gz, ctCreate(t, out+".gz", hwm)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ctGunzip(t, out+".gz"), src.data) {
				t.Fatalf("hwm %d: gzip round trip differs from its input", hwm)
			}
		}
	}
}

// ctKeep collects chunks a consumer keeps, to check at the end that none
// was overwritten.
type ctKeep struct {
	mu     sync.Mutex
	chunks [][]byte
}

func (k *ctKeep) add(c []byte) { k.mu.Lock(); k.chunks = append(k.chunks, c); k.mu.Unlock() }
func (k *ctKeep) joined() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return bytes.Join(k.chunks, nil)
}

// ctGated is a reader that blocks until gate is closed, so that every
// consumer is attached before the first chunk is read.
type ctGated struct {
	gate chan struct{}
	r    io.Reader
}

func (g *ctGated) Read(p []byte) (int, error) {
	<-g.gate
	return g.r.Read(p)
}

// ctGatedFile opens path as a Readable that reads nothing until open is
// called.
func ctGatedFile(t *testing.T, path string, hwm int) (r *streamcore.Readable[[]byte], open func()) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	g := &ctGated{gate: make(chan struct{}), r: f}
	r, err = streamcore.NewReadable[[]byte](&streamcore.ReaderSource{R: g}, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(hwm)})
	if err != nil {
		t.Fatal(err)
	}
	return r, func() { close(g.gate) }
}

// A data listener of the user's beside a pipe gets every chunk, and keeps
// it: the chunk is not lent back to the file source.
func TestLend_B5_DataListenerKeepsChunks(t *testing.T) {
	in, data := ctOffsetFile(t, 2<<20)
	src, open := ctGatedFile(t, in, 16<<10)
	var keep ctKeep
	src.OnData(keep.add)
	out := filepath.Join(t.TempDir(), "out")
	dst := ctCreate(t, out, 16<<10)
	streamcore.Pipe(src, dst, streamcore.PipeOptions{})
	open()
	<-dst.Done()
	if err := dst.Err(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keep.joined(), data) {
		t.Fatal("a chunk the data listener kept was overwritten or missed")
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("the piped copy differs from its input")
	}
}

// With two pipes, one destination being done with a chunk does not free it:
// the other may still have it queued.
func TestLend_B5_TwoPipesKeepChunks(t *testing.T) {
	in, data := ctOffsetFile(t, 2<<20)
	src, open := ctGatedFile(t, in, 16<<10)
	dst := ctCreate(t, filepath.Join(t.TempDir(), "out"), 16<<10)
	var keep ctKeep
	// The second destination takes nothing until the first has closed, so
	// every chunk waits in its queue while the file writes and releases it.
	late, err := streamcore.NewWritable[[]byte](streamcore.SinkFunc[[]byte](func(_ context.Context, c []byte) error {
		<-dst.Done()
		keep.add(bytes.Clone(c))
		return nil
	}), streamcore.WritableOptions{ObjectMode: true, HighWaterMark: streamcore.HWM(1 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	streamcore.Pipe(src, dst, streamcore.PipeOptions{})
	streamcore.Pipe(src, late, streamcore.PipeOptions{})
	open()
	<-dst.Done()
	<-late.Done()
	if err := dst.Err(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keep.joined(), data) {
		t.Fatal("a chunk queued for the second destination was overwritten")
	}
}

// A transform whose function pushes its input on keeps the chunk past its
// write's callback: a file source piped into it does not reuse the chunk.
func TestLend_B5_IdentityTransformKeepsChunks(t *testing.T) {
	in, data := ctOffsetFile(t, 2<<20)
	id, err := streamcore.NewTransform(func(_ context.Context, c []byte, push func([]byte) bool) error {
		push(c)
		return nil
	}, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(1 << 30)})
	if err != nil {
		t.Fatal(err)
	}
	var keep ctKeep
	sink, err := streamcore.NewWritable[[]byte](streamcore.SinkFunc[[]byte](func(context.Context, []byte) error { return nil }), streamcore.WritableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id.Readable.OnData(keep.add)
	if err := streamcore.Pipeline(context.Background(), ctOpen(t, in, 16<<10), id, sink); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keep.joined(), data) {
		t.Fatal("a chunk a transform pushed on was overwritten")
	}
}

// A chunk handed to Next belongs to its caller, also if the caller puts
// it back with Unshift and then pipes the stream: no chunk is lent after
// a paused-mode read.
func TestLend_B5_NextThenPipeKeepsChunk(t *testing.T) {
	in, data := ctOffsetFile(t, 2<<20)
	src := ctOpen(t, in, 16<<10)
	first, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(first)
	if err := src.Unshift(first); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := streamcore.Pipeline(context.Background(), src, ctCreate(t, out, 16<<10)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, want) {
		t.Fatal("the chunk Next returned was overwritten")
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, data) {
		t.Fatal("copy differs from its input")
	}
}

// gzip's output, read by a data listener that keeps it, is the whole
// compressed stream: its chunks are the listener's.
func TestLend_B5_GzipOutputKept(t *testing.T) {
	in, data := ctTextFile(t, 2<<20)
	gz, err := streamcore.NewGzip(gzip.BestSpeed, streamcore.TransformOptions[[]byte]{})
	if err != nil {
		t.Fatal(err)
	}
	var keep ctKeep
	gz.Readable.OnData(keep.add)
	out := filepath.Join(t.TempDir(), "out.gz")
	if err := streamcore.Pipeline(context.Background(), ctOpen(t, in, 64<<10), gz, ctCreate(t, out, 64<<10)); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(keep.joined()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("kept gzip output does not decompress to the input (%v)", err)
	}
}

// gzip pushes its output once per write, in chunks of up to 32 KiB, not
// the compressor's pieces of a few hundred bytes.
func TestGzip_B5_PushesWholeBlocks(t *testing.T) {
	_, text := ctTextFile(t, 2<<20)
	gz, err := streamcore.NewGzip(gzip.DefaultCompression, streamcore.TransformOptions[[]byte]{})
	if err != nil {
		t.Fatal(err)
	}
	var chunks, total int
	gz.Readable.OnData(func(c []byte) { chunks++; total += len(c) })
	go func() {
		for i := 0; i < len(text); i += 64 << 10 {
			if !gz.Writable.Write(text[i:min(i+64<<10, len(text))]) {
				if gz.Writable.WaitDrain(context.Background()) != nil {
					return
				}
			}
		}
		gz.Writable.End(nil)
	}()
	<-gz.Done()
	if err := gz.Err(); err != nil {
		t.Fatal(err)
	}
	if limit := total/(4<<10) + 4; chunks > limit {
		t.Fatalf("gzip pushed %d chunks for %d bytes, want at most %d", chunks, total, limit)
	}
}

// ctAllocated returns the bytes the process allocated while fn ran.
func ctAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A file piped into a file, or through gzip, reuses a few buffers: the
// pipeline allocates a small fraction of its input, so the heap stays
// below the collector's first target (peak RSS is the gzip-pipeline
// workload's measure).
func TestLend_B5_PipelinesReuseBuffers(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocation")
	}
	const size = 8 << 20
	in, _ := ctTextFile(t, size)
	dir := t.TempDir()
	copyFile := func() {
		if err := streamcore.Pipeline(context.Background(), ctOpen(t, in, 64<<10), ctCreate(t, filepath.Join(dir, "out"), 64<<10)); err != nil {
			t.Error(err)
		}
	}
	gzipFile := func() {
		gz, err := streamcore.NewGzip(gzip.DefaultCompression, streamcore.TransformOptions[[]byte]{})
		if err != nil {
			t.Fatal(err)
		}
		if err := streamcore.Pipeline(context.Background(), ctOpen(t, in, 64<<10), gz, ctCreate(t, filepath.Join(dir, "out.gz"), 64<<10)); err != nil {
			t.Error(err)
		}
	}
	copyFile() // warm up: the file cache
	// Without reuse, every byte read is a fresh allocation (size), and gzip
	// allocates its output again. The compressor's own state is about
	// 1 MiB.
	if got := ctAllocated(copyFile); got > 1<<20 {
		t.Errorf("file to file allocated %d KiB for %d KiB of input, want under 1024 KiB", got>>10, size>>10)
	}
	if got := ctAllocated(gzipFile); got > 3<<20 {
		t.Errorf("file through gzip to file allocated %d KiB for %d KiB of input, want under 3072 KiB", got>>10, size>>10)
	}
}
