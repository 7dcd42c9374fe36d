// Command slowclient is a slow HTTP client, the load for the example
// servers: it keeps -c connections to http://HOST:PORT/PATH, reads each
// response at -rate bytes per second in small reads with pauses between
// them, and opens a new connection when a response ends, until it is
// stopped. A server that ignores backpressure buffers what the client has
// not read yet; one that honours it waits.
//
// Usage:
//
//	slowclient [-port 8787] [-host 127.0.0.1] [-path /] [-c 4] [-rate 256KiB]
//	           [-read 4KiB] [-rcvbuf 4KiB]
//
// -rate is per connection. -rcvbuf asks the kernel for a small receive
// buffer (Linux; 0 keeps the system's) so that the kernel does not absorb
// the backlog. Sizes are bytes or a number with B, KiB, MiB or GiB. A
// refused or failed connection is retried after a pause (the server may not
// be up yet). SIGINT or SIGTERM stops it: it prints one line with the bytes
// read on each connection and exits 0.
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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bpbench/bpbench/examples/internal/pace"
	"github.com/bpbench/bpbench/internal/size"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the command line, parsed.
type config struct {
	host   string
	port   int
	path   string
	conns  int
	rate   int64 // bytes per second per connection
	read   int64 // bytes per read
	rcvbuf int64 // SO_RCVBUF; 0 keeps the system's
}

func parse(args []string, stderr io.Writer) (config, error) {
	c := config{host: "127.0.0.1", port: 8787, path: "/", conns: 4, rate: 256 << 10, read: 4 << 10, rcvbuf: 4 << 10}
	fs := flag.NewFlagSet("slowclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.host, "host", c.host, "server address")
	fs.IntVar(&c.port, "port", c.port, "server TCP port")
	fs.StringVar(&c.path, "path", c.path, "path to request")
	fs.IntVar(&c.conns, "c", c.conns, "connections kept open at once")
	pace.SizeVar(fs, &c.rate, "rate", "bytes per second read on each connection")
	pace.SizeVar(fs, &c.read, "read", "bytes per read")
	pace.SizeVar(fs, &c.rcvbuf, "rcvbuf", "socket receive buffer asked of the kernel (0: the system's)")
	if err := fs.Parse(args); err != nil {
		return c, err // fs.Parse has said why
	}
	err := c.check(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "slowclient:", err)
	}
	return c, err
}

// check says what is wrong with the flags' values or with the arguments
// left after them.
func (c config) check(args []string) error {
	switch {
	case len(args) > 0:
		return fmt.Errorf("unexpected argument %q: slowclient takes flags only", args[0])
	case c.conns < 1:
		return errors.New("-c must be at least 1 connection")
	case c.rate <= 0:
		return errors.New("-rate must be at least 1 byte per second")
	case c.read <= 0:
		return errors.New("-read must be at least 1 byte")
	case c.port < 1 || c.port > 65535:
		return fmt.Errorf("-port %d: use 1 to 65535", c.port)
	case !strings.HasPrefix(c.path, "/"):
		return fmt.Errorf("-path %q must start with /", c.path)
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
	dialer := &net.Dialer{}
	if cfg.rcvbuf > 0 {
		dialer.Control = func(_, _ string, c syscall.RawConn) error { return setRcvbuf(c, int(cfg.rcvbuf)) }
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext:        dialer.DialContext,
		DisableKeepAlives:  true, // a new connection for every response
		DisableCompression: true,
		ReadBufferSize:     int(cfg.read),
	}}
	url := "http://" + net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)) + cfg.path

	start := time.Now()
	workers := make([]worker, cfg.conns)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.id, w.cfg, w.client, w.url, w.stderr = i+1, cfg, client, url, stderr
		wg.Go(func() { w.loop(ctx) })
	}
	wg.Wait()

	var responses, errs int64
	read := make([]string, len(workers))
	for i := range workers {
		responses += workers[i].responses
		errs += workers[i].errors
		read[i] = strconv.FormatInt(workers[i].read.Load(), 10)
	}
	fmt.Fprintf(stdout, "slowclient: %.1fs, rate %s/s, connections %d, responses %d, errors %d; bytes read per connection: %s\n",
		time.Since(start).Seconds(), size.Format(cfg.rate), cfg.conns, responses, errs, strings.Join(read, " "))
	return 0
}

// worker keeps one connection open at a time, reading slowly.
type worker struct {
	id     int
	cfg    config
	client *http.Client
	url    string
	stderr io.Writer

	read      atomic.Int64 // bytes read, over every response
	responses int64        // responses read to their end
	errors    int64        // failed connections and responses
	lastErr   string
}

// loop reads one response after another until ctx is done, pausing after
// a failure (growing to a second) so that a server not up yet is not
// hammered.
func (w *worker) loop(ctx context.Context) {
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := w.get(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			w.responses++
			pause = 50 * time.Millisecond
			continue
		}
		w.errors++
		if msg := err.Error(); msg != w.lastErr { // say each new error once, not at every retry
			fmt.Fprintf(w.stderr, "slowclient: connection %d: %v (retrying)\n", w.id, err)
			w.lastErr = msg
		}
		if !pace.Until(ctx, time.Now().Add(pause)) {
			return
		}
		pause = min(2*pause, time.Second)
	}
}

// get reads one response to its end at the rate.
func (w *worker) get(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
	if err != nil {
		return err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", w.url, resp.Status)
	}
	buf := make([]byte, w.cfg.read)
	start := time.Now()
	var n int64
	for {
		m, err := resp.Body.Read(buf)
		n += int64(m)
		w.read.Add(int64(m))
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		due := pace.Due(start, n, w.cfg.rate)
		if !pace.Until(ctx, due) {
			return ctx.Err()
		}
	}
}
