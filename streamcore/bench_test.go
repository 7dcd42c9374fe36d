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

// slabLines carves "line i\n" chunks out of 64 KiB blocks that are never
// reused: the stream owns each chunk until it is written, so a block is
// only dropped, never overwritten. One allocation per ~5000 lines.
type slabLines struct{ block []byte }

func (s *slabLines) line(i int) []byte {
	if cap(s.block)-len(s.block) < 24 {
		s.block = make([]byte, 0, 64<<10)
	}
	start := len(s.block)
	s.block = append(s.block, "line "...)
	s.block = strconv.AppendInt(s.block, int64(i), 10)
	s.block = append(s.block, '\n')
	return s.block[start:len(s.block):len(s.block)]
}

// drainAwareWrite is the seed's writeChunks in Go: write until false, wait
// for drain, then End and wait for close. next makes line i.
func drainAwareWrite(ctx context.Context, w *streamcore.Writable[[]byte], n int, next func(int) []byte) error {
	for i := 0; i < n; i++ {
		if !w.Write(next(i)) {
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
		// impl=streamcore-drain allocates every line, as Node makes a
		// string per line; impl=streamcore-drain-slab carves lines from
		// blocks, so the difference between the two is the producer's
		// allocation cost and the rest is streamcore's.
		for _, impl := range []string{"streamcore-drain", "streamcore-drain-slab"} {
			b.Run("sink="+sink+"/impl="+impl, func(b *testing.B) {
				p := path(b)
				b.ReportAllocs()
				m0 := mallocs()
				var peak int64
				for b.Loop() {
					next := benchLine
					if impl == "streamcore-drain-slab" {
						next = (&slabLines{}).line
					}
					w, err := streamcore.CreateFile(p, streamcore.FileOptions{})
					if err != nil {
						b.Fatal(err)
					}
					if err := drainAwareWrite(ctx, w, benchLines, next); err != nil {
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
