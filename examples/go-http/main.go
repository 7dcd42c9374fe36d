// Command go-http is an HTTP server that streams a large response to every
// client, with a reader goroutine producing chunks and the handler writing
// them to the http.ResponseWriter. Between the two sits a queue, and -mode
// chooses which:
//
//   - naive: an unbounded queue. The producer appends without limit, so when
//     the client reads slower than the source produces, the backlog — and the
//     process's memory — grows at the difference of the two rates.
//   - drain: a bounded channel of -queue chunks. The producer blocks while it
//     is full: backpressure, and memory stays flat whatever the client does.
//
// Usage:
//
//	go-http [-mode naive|drain] [-port 8787] [-host 127.0.0.1] [-chunk 64KiB]
//	        [-size 0] [-source-rate 8MiB] [-queue 4]
//
// -port 0 picks a free port. Once the server accepts connections it prints
// "listening on PORT". -size is the body of each response (0: endless),
// -source-rate the bytes per second the producer makes for each response
// (0: as fast as it can). Sizes are bytes or a number with B, KiB, MiB or
// GiB. SIGINT or SIGTERM stops the server (exit 0).
//
// Started by bpbench (bpbench run --cmd ...), it reports its Go heap and the
// bytes waiting in its queues through the probe, with the chunks the naive
// queue took beyond -queue as writes made after backpressure said stop, and
// the drain queue's waits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bpbench/bpbench/examples/internal/pace"
	"github.com/bpbench/bpbench/probe"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the command line, parsed.
type config struct {
	mode       string // "naive" or "drain"
	host       string
	port       int
	chunk      int64 // bytes per chunk
	size       int64 // bytes per response; 0 is endless
	sourceRate int64 // bytes per second per response; 0 is unlimited
	queue      int   // the bounded queue's capacity in chunks
}

func parse(args []string, stderr io.Writer) (config, error) {
	c := config{mode: "naive", host: "127.0.0.1", port: 8787, chunk: 64 << 10, sourceRate: 8 << 20, queue: 4}
	fs := flag.NewFlagSet("go-http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.mode, "mode", c.mode, "naive (unbounded queue) or drain (bounded channel: backpressure)")
	fs.StringVar(&c.host, "host", c.host, "address to listen on")
	fs.IntVar(&c.port, "port", c.port, "TCP port to listen on (0: a free one, printed)")
	pace.SizeVar(fs, &c.chunk, "chunk", "bytes per chunk")
	pace.SizeVar(fs, &c.size, "size", "bytes per response (0: endless)")
	pace.SizeVar(fs, &c.sourceRate, "source-rate", "bytes per second the producer makes for each response (0: unlimited)")
	fs.IntVar(&c.queue, "queue", c.queue, "capacity of the drain mode's channel, in chunks")
	if err := fs.Parse(args); err != nil {
		return c, err // fs.Parse has said why
	}
	err := c.check(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "go-http:", err)
	}
	return c, err
}

// check says what is wrong with the flags' values or with the arguments
// left after them.
func (c config) check(args []string) error {
	switch {
	case len(args) > 0:
		return fmt.Errorf("unexpected argument %q: go-http takes flags only", args[0])
	case c.mode != "naive" && c.mode != "drain":
		return fmt.Errorf("-mode %q: use naive or drain", c.mode)
	case c.chunk <= 0:
		return errors.New("-chunk must be at least 1 byte")
	case c.queue <= 0:
		return errors.New("-queue must be at least 1 chunk")
	case c.port < 0 || c.port > 65535:
		return fmt.Errorf("-port %d: use 0 to 65535", c.port)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // parse said why
	}
	p := probe.Start(ctx)
	s := &streamer{cfg: cfg, probe: p, pattern: pattern(cfg.chunk)}
	p.Buffered(s.queued.Load)

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)))
	if err != nil {
		fmt.Fprintln(stderr, "go-http:", err)
		p.Stop(err)
		return 1
	}
	fmt.Fprintf(stdout, "listening on %d\n", ln.Addr().(*net.TCPAddr).Port)

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		err = srv.Close() // the responses are endless: Shutdown would wait for ever
		<-served
	case err = <-served:
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	p.Stop(err)
	if err != nil {
		fmt.Fprintln(stderr, "go-http:", err)
		return 1
	}
	return 0
}

// pattern is one chunk of printable body, copied into every chunk made.
func pattern(n int64) []byte {
	b := make([]byte, n)
	const line = "bpbench example body: a large response to a slow client.\n"
	for i := range b {
		b[i] = line[i%len(line)]
	}
	return b
}

// streamer is the http.Handler: for each request a producer goroutine
// fills a queue at the source rate and the handler writes what it takes
// from the queue to the client.
type streamer struct {
	cfg     config
	probe   *probe.Probe
	pattern []byte
	queued  atomic.Int64 // bytes waiting in every response's queue
}

func (s *streamer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if s.cfg.size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(s.cfg.size, 10))
	}
	ctx, cancel := context.WithCancel(r.Context())
	var q queue
	if s.cfg.mode == "drain" {
		q = &bounded{ch: make(chan []byte, s.cfg.queue), probe: s.probe}
	} else {
		q = &unbounded{ready: make(chan struct{}, 1), limit: s.cfg.queue, probe: s.probe}
	}
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		defer q.end()
		s.produce(ctx, q)
	}()
	defer func() {
		cancel()
		<-produced
		s.queued.Add(-q.discard())
	}()

	rc := http.NewResponseController(w)
	for {
		chunk, ok := q.take(ctx)
		if !ok {
			return
		}
		_, err := w.Write(chunk) // blocks while the client's socket is full
		s.queued.Add(-int64(len(chunk)))
		if err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// produce makes the response's chunks, fresh memory each (as a reader of a
// file or an upstream would), at the source rate, until the size is made
// or ctx is done.
func (s *streamer) produce(ctx context.Context, q queue) {
	start := time.Now()
	var made int64
	for s.cfg.size == 0 || made < s.cfg.size {
		n := s.cfg.chunk
		if s.cfg.size > 0 {
			n = min(n, s.cfg.size-made)
		}
		chunk := make([]byte, n)
		copy(chunk, s.pattern)
		s.queued.Add(n)
		if !q.put(ctx, chunk) {
			s.queued.Add(-n)
			return
		}
		made += n
		if s.cfg.sourceRate > 0 {
			due := pace.Due(start, made, s.cfg.sourceRate)
			if !pace.Until(ctx, due) {
				return
			}
		}
	}
}

// queue sits between one response's producer and its handler. put and end
// are called by the producer only, take and discard by the handler only;
// discard is called after the producer has returned.
type queue interface {
	put(ctx context.Context, chunk []byte) bool // false: ctx is done, chunk not queued
	end()                                       // the producer has no more chunks
	take(ctx context.Context) ([]byte, bool)    // false: the end, or ctx is done
	discard() int64                             // drops what is left; returns its bytes
}

// unbounded is the naive queue: put never waits, so the slice holds every
// chunk the client has not taken yet.
type unbounded struct {
	mu    sync.Mutex
	items [][]byte
	done  bool
	ready chan struct{} // capacity 1: a put or the end since the last take looked
	limit int           // what a bounded queue would hold, for the probe
	probe *probe.Probe
}

func (q *unbounded) put(_ context.Context, chunk []byte) bool {
	q.mu.Lock()
	if len(q.items) >= q.limit {
		q.probe.WriteAfterFalse(int64(len(chunk))) // a bounded queue would have made us wait
	}
	q.items = append(q.items, chunk)
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *unbounded) end() {
	q.mu.Lock()
	q.done = true
	q.mu.Unlock()
	q.signal()
}

func (q *unbounded) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *unbounded) take(ctx context.Context) ([]byte, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			chunk := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.mu.Unlock()
			return chunk, true
		}
		done := q.done
		q.mu.Unlock()
		if done {
			return nil, false
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, false
		}
	}
}

func (q *unbounded) discard() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var n int64
	for _, c := range q.items {
		n += int64(len(c))
	}
	q.items = nil
	return n
}

// bounded is the drain-aware queue: a channel of a few chunks, and a
// producer that waits while it is full.
type bounded struct {
	ch    chan []byte
	probe *probe.Probe
}

func (q *bounded) put(ctx context.Context, chunk []byte) bool {
	select {
	case q.ch <- chunk:
		return true
	default: // full: wait for the handler to take one (the drain)
	}
	start := time.Now()
	select {
	case q.ch <- chunk:
		q.probe.DrainWait(time.Since(start))
		return true
	case <-ctx.Done():
		return false
	}
}

func (q *bounded) end() { close(q.ch) }

func (q *bounded) take(ctx context.Context) ([]byte, bool) {
	select {
	case chunk, ok := <-q.ch:
		return chunk, ok
	case <-ctx.Done():
		return nil, false
	}
}

func (q *bounded) discard() int64 {
	var n int64
	for c := range q.ch { // closed by end, after the producer's last put
		n += int64(len(c))
	}
	return n
}
