package streamcore_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

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

// lineWriters are the producers BenchmarkMillionLineWriter runs on
// streamcore. Each run writes lines [from, to) to w in a loop of its own,
// the backpressure guide's writeChunks in Go: write until false, then wait
// for drain. Like bufioWrite, the loop calls nothing per line but the
// stream's methods, so both sides do the same per-line work.
//
//   - bytes: formats each line into one reused buffer and writes it: the
//     stream copies it, so nothing is allocated per line;
//   - string: the shape of bufioWrite, three writes per line
//     (WriteString("line "), Write(digits), PutByte('\n'));
//   - alloc: a fresh slice per line, as Node makes a string per line;
//     the difference from bytes is the producer's allocation.
var lineWriters = []struct {
	name     string
	allocate bool
	run      func(ctx context.Context, w *streamcore.Writable[[]byte], from, to int) error
}{
	{"bytes", false, func(ctx context.Context, w *streamcore.Writable[[]byte], from, to int) error {
		var buf []byte
		for i := from; i < to; i++ {
			buf = append(buf[:0], "line "...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, '\n')
			if !w.Write(buf) {
				if err := w.WaitDrain(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	}},
	{"string", false, func(ctx context.Context, w *streamcore.Writable[[]byte], from, to int) error {
		var scratch [20]byte
		for i := from; i < to; i++ {
			ok := w.WriteString("line ")
			ok = w.Write(strconv.AppendInt(scratch[:0], int64(i), 10)) && ok
			if !(w.PutByte('\n') && ok) {
				if err := w.WaitDrain(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	}},
	{"alloc", true, func(ctx context.Context, w *streamcore.Writable[[]byte], from, to int) error {
		for i := from; i < to; i++ {
			if !w.Write(benchLine(i)) {
				if err := w.WaitDrain(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	}},
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

// BenchmarkMillionLineWriter runs the backpressure guide's drain-aware million-line writer
// on streamcore next to a plain bufio.Writer loop writing the same lines,
// to a file and to /dev/null. Targets: the drain-aware writer
// (impl=streamcore-bytes) at most 1.5x bufio's time, and the string
// producer (impl=streamcore-string, three writes a line as bufio's loop
// makes) at most 1.1x; no allocation per line for the bytes and string
// producers; peak buffered at most HWM + one chunk. Compare in one run:
// benchstat -col /impl. The stream's goroutine runs on a second processor
// and spins between batches (handoff.go), so the streamcore rows use about
// two processors where bufio uses one.
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
			defer reportCPU(b, cpuTime())
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
		for _, lw := range lineWriters {
			b.Run("sink="+sink+"/impl=streamcore-"+lw.name, func(b *testing.B) {
				p := path(b)
				b.ReportAllocs()
				m0 := mallocs()
				defer reportCPU(b, cpuTime())
				var peak int64
				for b.Loop() {
					w, err := streamcore.CreateFile(p, streamcore.FileOptions{})
					if err != nil {
						b.Fatal(err)
					}
					if err := lw.run(ctx, w, 0, benchLines); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
					peak = max(peak, w.Stats().PeakBuffered)
				}
				reportPerWrite(b, m0)
				limit := 0.01 // a few slabs and the stream itself per million lines
				if lw.allocate {
					limit = 1.01
				}
				if perLine := float64(mallocs()-m0) / float64(b.N*benchLines); perLine > limit {
					b.Errorf("%.4f allocations per line; the target is at most %.2f", perLine, limit)
				}
				b.ReportMetric(float64(peak), "peak-buffered-B")
				if limit := int64(streamcore.DefaultHighWaterMark + 16); peak > limit {
					b.Errorf("peak buffered %d B > HWM + one chunk (%d B)", peak, limit)
				}
			})
		}
	}
}

// cpuTime returns the user and system time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the processor time per op since before, as cpu-sec/op:
// streamcore's stream runs its sink on a goroutine of its own, which spins
// for the next batch while a producer streams, so its rows use about two
// processors where bufio's loop uses one.
func reportCPU(b *testing.B, before time.Duration) {
	b.ReportMetric((cpuTime()-before).Seconds()/float64(b.N), "cpu-sec/op")
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

// BenchmarkWritePath is the cost of one write of a 12-byte line into a
// sink that drops it, by path, so that the byte path's speed cannot hide a
// slow one: bytes and string (WriteString) on a Writable[[]byte], a
// Writable[string], object mode, and writes with a callback.
func BenchmarkWritePath(b *testing.B) {
	ctx := context.Background()
	line := []byte("line 123456\n")
	b.Run("path=bytes", func(b *testing.B) {
		w := newDiscard[[]byte](b, streamcore.WritableOptions{})
		benchWrites(b, ctx, w, func() bool { return w.Write(line) })
	})
	b.Run("path=string", func(b *testing.B) {
		w := newDiscard[[]byte](b, streamcore.WritableOptions{})
		benchWrites(b, ctx, w, func() bool { return w.WriteString("line 123456\n") })
	})
	b.Run("path=string-stream", func(b *testing.B) {
		w := newDiscard[string](b, streamcore.WritableOptions{})
		benchWrites(b, ctx, w, func() bool { return w.Write("line 123456\n") })
	})
	b.Run("path=object", func(b *testing.B) {
		type rec struct{ n int }
		r := &rec{1}
		w := newDiscard[*rec](b, streamcore.WritableOptions{ObjectMode: true})
		benchWrites(b, ctx, w, func() bool { return w.Write(r) })
	})
	b.Run("path=callback", func(b *testing.B) {
		w := newDiscard[[]byte](b, streamcore.WritableOptions{})
		cb := func(error) {}
		benchWrites(b, ctx, w, func() bool { return w.WriteCB(line, cb) })
	})
	// after-false: a producer that ignores false, into a sink that drains
	// as fast as it can: every write made while a drain is owed takes the
	// lock and is counted in Stats.WritesAfterFalse.
	b.Run("path=after-false", func(b *testing.B) {
		w := newDiscard[[]byte](b, streamcore.WritableOptions{HighWaterMark: streamcore.HWM(64)})
		b.ReportAllocs()
		for b.Loop() {
			w.Write(line)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		st := w.Stats()
		b.ReportMetric(float64(st.WritesAfterFalse)/float64(b.N), "after-false/op")
	})
}

func newDiscard[T any](b *testing.B, opts streamcore.WritableOptions) *streamcore.Writable[T] {
	w, err := streamcore.NewWritable[T](streamcore.Discard[T]{}, opts)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// benchWrites calls write b.N times, waiting for drain after false, then
// closes w.
func benchWrites[T any](b *testing.B, ctx context.Context, w *streamcore.Writable[T], write func() bool) {
	b.ReportAllocs()
	for b.Loop() {
		if !write() {
			if err := w.WaitDrain(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLineProducer is the producer's share of the million-line
// writer: one "line i\n" per op, written as lineWriters' producers write
// it, into a sink that drops it, beside the same writes into a bufio.Writer
// on io.Discard. It leaves out the sink's system calls and most handoffs to
// the stream's goroutine, which BenchmarkMillionLineWriter includes and
// which make it noisy on a shared machine. Compare with benchstat -col /impl.
func BenchmarkLineProducer(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=bufio", func(b *testing.B) {
		bw := bufio.NewWriterSize(io.Discard, 64<<10)
		var scratch [20]byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			bw.WriteString("line ")
			bw.Write(strconv.AppendInt(scratch[:0], int64(i), 10))
			bw.WriteByte('\n')
		}
	})
	for _, lw := range lineWriters {
		if lw.allocate {
			continue
		}
		b.Run("impl=streamcore-"+lw.name, func(b *testing.B) {
			w := newDiscard[[]byte](b, streamcore.WritableOptions{})
			b.ReportAllocs()
			b.ResetTimer()
			if err := lw.run(ctx, w, 0, b.N); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
