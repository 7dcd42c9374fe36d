package workloads

import (
	"compress/gzip"
	"context"

	"github.com/bpbench/bpbench/streamcore"
)

func gzipPipeline() *Workload {
	return &Workload{
		Name:  "gzip-pipeline",
		Bench: "GzipPipeline",
		Seed:  "pipeline(createReadStream('huge.log'), createGzip(), createWriteStream('huge.log.gz'))",
		Model: "reading a cached file runs at memory speed, gzip compresses at tens of MB/s: the compressor is the slow consumer. " +
			"The drain variant is Pipeline (backpressure between every stage); the naive variant writes every chunk it reads into the gzip stream and every compressed chunk into the file without waiting, so the input piles up in front of the compressor",
		Variants: []Variant{Drain, Naive},
		Uses:     []string{PInputSize, PHWM, PSink},
		Defaults: Params{InputSize: 8 << 20, HWM: streamcore.HWM(streamcore.DefaultHighWaterMark), Sink: "huge.log.gz"},
		run:      runGzipPipeline,
	}
}

func runGzipPipeline(ctx context.Context, env *Env) error {
	p := env.Params
	hwm := p.HWM
	src, err := inputStream(ctx, p)
	if err != nil {
		return err
	}
	gz, err := streamcore.NewGzip(gzip.DefaultCompression, streamcore.TransformOptions[[]byte]{HighWaterMark: hwm})
	if err != nil {
		src.Destroy(nil)
		return err
	}
	dst, err := outputSink(p.Sink, hwm)
	if err != nil {
		src.Destroy(nil)
		gz.Destroy(nil)
		return err
	}
	env.track(func() streamcore.Stats { return gz.Writable.Stats().Add(dst.Stats()) })
	if env.Variant == Drain {
		return streamcore.Pipeline(ctx, src, gz, dst)
	}
	pipeNaive(src, gz.Writable)
	pipeNaive(gz.Readable, dst)
	return waitAll(ctx, dst, src, gz)
}

func slowConsumer() *Workload {
	return &Workload{
		Name:  "slow-consumer",
		Bench: "SlowConsumer",
		Seed:  "a fast SSD feeding a slow network socket or throttled API",
		Model: "a file read at memory speed into a sink throttled to --rate bytes per second (default 64MiB/s, about a 500Mbit/s link); " +
			"the naive producer's buffer grows at the producer's rate minus the sink's",
		Variants: []Variant{Drain, Naive},
		Uses:     []string{PInputSize, PRate, PHWM},
		Defaults: Params{InputSize: 8 << 20, Rate: 64 << 20, HWM: streamcore.HWM(streamcore.DefaultHighWaterMark)},
		run:      runSlowConsumer,
	}
}

func runSlowConsumer(ctx context.Context, env *Env) error {
	p := env.Params
	hwm := p.HWM
	src, err := inputStream(ctx, p)
	if err != nil {
		return err
	}
	sink := streamcore.Throttled(streamcore.Discard[[]byte]{}, streamcore.Throttle{Rate: p.Rate})
	dst, err := streamcore.NewWritable[[]byte](sink, streamcore.WritableOptions{HighWaterMark: hwm})
	if err != nil {
		src.Destroy(nil)
		return err
	}
	env.track(dst.Stats)
	if env.Variant == Drain {
		return streamcore.Pipeline(ctx, src, dst)
	}
	pipeNaive(src, dst)
	return waitAll(ctx, dst, src)
}

// inputStream opens the generated input of p.InputSize bytes (see
// input.go), read in chunks of the highWaterMark.
func inputStream(ctx context.Context, p Params) (*streamcore.Readable[[]byte], error) {
	f, err := inputCache{}.open(ctx, p.InputSize)
	if err != nil {
		return nil, err
	}
	r, err := streamcore.NewReadable[[]byte](&streamcore.ReaderSource{R: f}, streamcore.ReadableOptions{HighWaterMark: p.HWM})
	if err != nil {
		f.Close()
	}
	return r, err
}

// pipeNaive is the naive variants' pipe: every chunk src emits is written
// to dst without looking at Write's result, src's end ends dst and src's
// error destroys it. The end and error listeners go first: OnData starts
// the flow.
func pipeNaive(src *streamcore.Readable[[]byte], dst *streamcore.Writable[[]byte]) {
	src.OnEnd(func() { dst.End(nil) })
	src.OnError(dst.Destroy)
	src.OnData(func(c []byte) { dst.Write(c) })
}

// outputSink opens the output file, or a discarding sink for "null".
func outputSink(path string, hwm *int) (*streamcore.Writable[[]byte], error) {
	if path == "null" {
		return streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{HighWaterMark: hwm})
	}
	return streamcore.CreateFile(path, streamcore.FileOptions{HighWaterMark: hwm})
}

// waitAll waits for the last stream to close and returns the first error
// of any stream; on ctx cancellation it destroys them all.
func waitAll(ctx context.Context, last streamcore.Stream, others ...streamcore.Stream) error {
	all := append([]streamcore.Stream{last}, others...)
	select {
	case <-last.Done():
	case <-ctx.Done():
		for _, s := range all {
			s.Destroy(ctx.Err())
		}
		<-last.Done()
		return ctx.Err()
	}
	for _, s := range all {
		if err := s.Err(); err != nil {
			return err
		}
	}
	return nil
}
