package streamcore_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/bpbench/bpbench/streamcore"
)

const benchLines = 1_000_000

// benchLine returns a fresh "line i\n" chunk: one allocation, as a Node
// string per line is.
func benchLine(i int) []byte {
	b := make([]byte, 0, 16)
	b = append(b, "line "...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, '\n')
}

// drainAwareWrite is the seed's writeChunks in Go: write until false, wait
// for drain, then End and wait for close.
func drainAwareWrite(ctx context.Context, w *streamcore.Writable[[]byte], n int) error {
	for i := 0; i < n; i++ {
		if !w.Write(benchLine(i)) {
			if err := w.WaitDrain(ctx); err != nil {
				return err
			}
		}
	}
	return w.Close()
}

func bufioWrite(f *os.File, n int) error {
	bw := bufio.NewWriterSize(f, 64<<10)
	var scratch [20]byte
	for i := 0; i < n; i++ {
		bw.WriteString("line ")
		bw.Write(strconv.AppendInt(scratch[:0], int64(i), 10))
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// BenchmarkMillionLineWriter runs the seed's drain-aware million-line writer
// on streamcore next to a plain bufio.Writer loop writing the same lines,
// to a file and to /dev/null. Targets (issue 2): streamcore ≤ 3x bufio's
// time, ≤ 1 alloc per Write amortised, peak buffered ≤ HWM + one chunk.
func BenchmarkMillionLineWriter(b *testing.B) {
	ctx := context.Background()
	for _, sink := range []string{"file", "devnull"} {
		path := func(b *testing.B) string {
			if sink == "devnull" {
				return os.DevNull
			}
			return filepath.Join(b.TempDir(), "big-output.txt")
		}
		b.Run("sink="+sink+"/impl=bufio", func(b *testing.B) {
			p := path(b)
			b.ReportAllocs()
			m0 := mallocs()
			for b.Loop() {
				f, err := os.Create(p)
				if err != nil {
					b.Fatal(err)
				}
				if err := bufioWrite(f, benchLines); err != nil {
					b.Fatal(err)
				}
			}
			reportPerWrite(b, m0)
		})
		b.Run("sink="+sink+"/impl=streamcore-drain", func(b *testing.B) {
			p := path(b)
			b.ReportAllocs()
			m0 := mallocs()
			var peak int64
			for b.Loop() {
				w, err := streamcore.CreateFile(p, streamcore.FileOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if err := drainAwareWrite(ctx, w, benchLines); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, w.Stats().PeakBuffered)
			}
			reportPerWrite(b, m0)
			if perLine := float64(mallocs()-m0) / float64(b.N*benchLines); perLine > 1.05 {
				b.Errorf("%.3f allocations per Write; the target is at most 1 amortised", perLine)
			}
			b.ReportMetric(float64(peak), "peak-buffered-B")
			if limit := int64(streamcore.DefaultHighWaterMark + 16); peak > limit {
				b.Errorf("peak buffered %d B > HWM + one chunk (%d B)", peak, limit)
			}
		})
	}
}

// mallocs returns the process's allocation count so far.
func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// reportPerWrite reports allocations per written line, from the count
// taken before the loop.
func reportPerWrite(b *testing.B, before uint64) {
	b.ReportMetric(float64(mallocs()-before)/float64(b.N*benchLines), "allocs/line")
}

// BenchmarkWrite is the cost of one Write into a fast sink, no waiting.
func BenchmarkWrite(b *testing.B) {
	w, err := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{})
	if err != nil {
		b.Fatal(err)
	}
	chunk := []byte("line 123456\n")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if !w.Write(chunk) {
			w.WaitDrain(ctx)
		}
	}
	w.Close()
}
