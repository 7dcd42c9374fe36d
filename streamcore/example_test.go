package streamcore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/bpbench/bpbench/streamcore"
)

// The backpressure guide's drain-aware writer, the Go way: block on WaitDrain when Write
// returns false. Write copies the line, so one buffer serves them all.
func ExampleWritable_WaitDrain() {
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), "streamcore-example.txt")
	defer os.Remove(path)
	w, err := streamcore.CreateFile(path, streamcore.FileOptions{HighWaterMark: streamcore.HWM(16 << 10)})
	if err != nil {
		panic(err)
	}
	var line []byte
	for i := 0; i < 100_000; i++ {
		line = strconv.AppendInt(append(line[:0], "line "...), int64(i), 10)
		line = append(line, '\n')
		if !w.Write(line) {
			if err := w.WaitDrain(ctx); err != nil {
				panic(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Println(bytes.Count(data, []byte("\n")), "lines; peak buffered within hwm+chunk:", w.Stats().PeakBuffered <= 16<<10+16)
	// Output: 100000 lines; peak buffered within hwm+chunk: true
}

// The backpressure guide's writeChunks, the Node way: write until false, then OnceDrain.
func ExampleWritable_OnceDrain() {
	var out bytes.Buffer
	w, _ := streamcore.NewWritable[[]byte](streamcore.NewWriterSink(&out), streamcore.WritableOptions{})
	total, i := 1000, 0
	var next func()
	next = func() {
		ok := true
		for i < total && ok {
			chunk := []byte("line " + strconv.Itoa(i) + "\n")
			if i == total-1 {
				ok = w.WriteCB(chunk, func(error) { w.End(nil) })
			} else {
				ok = w.Write(chunk)
			}
			i++
		}
		if i < total {
			w.OnceDrain(next)
		}
	}
	next()
	<-w.Done()
	fmt.Println(bytes.Count(out.Bytes(), []byte("\n")), w.Err())
	// Output: 1000 <nil>
}

// pipeline(read, gzip, write) and back.
func ExamplePipeline() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "streamcore-example")
	defer os.RemoveAll(dir)
	in, gz := filepath.Join(dir, "huge.log"), filepath.Join(dir, "huge.log.gz")
	os.WriteFile(in, bytes.Repeat([]byte("GET /index.html 200\n"), 10_000), 0o644)

	src, _ := streamcore.OpenFile(in, streamcore.FileOptions{})
	zip, _ := streamcore.NewGzip(gzip.DefaultCompression, streamcore.TransformOptions[[]byte]{})
	dst, _ := streamcore.CreateFile(gz, streamcore.FileOptions{})
	if err := streamcore.Pipeline(ctx, src, zip, dst); err != nil {
		panic(err)
	}

	var back bytes.Buffer
	src2, _ := streamcore.OpenFile(gz, streamcore.FileOptions{})
	unzip, _ := streamcore.NewGunzip(streamcore.TransformOptions[[]byte]{})
	sink, _ := streamcore.NewWritable[[]byte](streamcore.NewWriterSink(&back), streamcore.WritableOptions{})
	err := streamcore.Pipeline(ctx, src2, unzip, sink)
	fmt.Println(err, back.Len())
	// Output: <nil> 200000
}

// While the sink is busy, writes are collected into batches (see "When
// bytes reach the sink" in the package doc); a producer that stops writing
// without ending the stream calls Flush to hand over what it wrote.
func ExampleWritable_Flush() {
	got := make(chan string, 16)
	w, _ := streamcore.NewWritable[[]byte](streamcore.SinkFunc[[]byte](func(_ context.Context, c []byte) error {
		got <- string(c)
		return nil
	}), streamcore.WritableOptions{})
	w.WriteString("hello ")
	w.WriteString("world\n")
	w.Flush()
	var s string
	for len(s) < len("hello world\n") {
		s += <-got
	}
	fmt.Print(s)
	w.Close()
	// Output: hello world
}

// A paused-mode consumer: read everything buffered at each readable event.
func ExampleReadable_OnReadable() {
	r, _ := streamcore.FromSlice([]string{"a", "b", "c"}, streamcore.ReadableOptions{})
	done := make(chan struct{})
	r.OnEnd(func() { close(done) })
	r.OnReadable(func() {
		for {
			c, ok := r.Read(0)
			if !ok {
				return
			}
			fmt.Println(c)
		}
	})
	<-done
	// Output:
	// a
	// b
	// c
}
