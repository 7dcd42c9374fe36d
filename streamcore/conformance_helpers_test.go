package streamcore_test

// Helpers shared by the conformance tests (conformance_*_test.go). Names
// start with ct to stay clear of other test files in this package.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

var (
	errCtBoom  = errors.New("boom")
	errCtBoom2 = errors.New("boom2")
)

// ctLog records events in the order they happen, from any goroutine.
type ctLog struct {
	mu sync.Mutex
	ev []string
}

func (l *ctLog) add(format string, a ...any) {
	l.mu.Lock()
	l.ev = append(l.ev, fmt.Sprintf(format, a...))
	l.mu.Unlock()
}

func (l *ctLog) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ev)
}

// cb returns a write/end callback that records "name:<error>".
func (l *ctLog) cb(name string) func(error) {
	return func(err error) { l.add("%s:%s", name, ctErrName(err)) }
}

// want fails the test unless the recorded events are exactly want.
func (l *ctLog) want(t *testing.T, want ...string) {
	t.Helper()
	if got := l.events(); !slices.Equal(got, want) {
		t.Fatalf("events:\n got  %q\n want %q", got, want)
	}
}

func (l *ctLog) count(ev string) int {
	n := 0
	for _, e := range l.events() {
		if e == ev {
			n++
		}
	}
	return n
}

// ctErrName names an error shortly for event logs.
func ctErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, streamcore.ErrWriteAfterEnd):
		return "write-after-end"
	case errors.Is(err, streamcore.ErrDestroyed):
		return "destroyed"
	case errors.Is(err, streamcore.ErrAlreadyFinished):
		return "already-finished"
	case errors.Is(err, streamcore.ErrNullValue):
		return "null-value"
	case errors.Is(err, streamcore.ErrPushAfterEOF):
		return "push-after-eof"
	case errors.Is(err, streamcore.ErrPrematureClose):
		return "premature-close"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}

// ctWatch records a Writable's drain, finish, error and close events.
func ctWatch[T any](l *ctLog, w *streamcore.Writable[T]) {
	w.OnDrain(func() { l.add("drain") })
	w.OnFinish(func() { l.add("finish") })
	w.OnError(func(err error) { l.add("error:%s", ctErrName(err)) })
	w.OnClose(func() { l.add("close") })
}

// ctWatchR records a Readable's end, error and close events.
func ctWatchR[T any](l *ctLog, r *streamcore.Readable[T]) {
	r.OnEnd(func() { l.add("end") })
	r.OnError(func(err error) { l.add("error:%s", ctErrName(err)) })
	r.OnClose(func() { l.add("close") })
}

// ctStr renders a chunk for logs and comparisons.
func ctStr(v any) string {
	switch c := v.(type) {
	case []byte:
		return string(c)
	case string:
		return c
	}
	return fmt.Sprint(v)
}

// ctCall is one call into a ctSink: a Write (one chunk), a WriteBatch or a
// Final. In a gated sink it stays in flight until the test replies.
type ctCall[T any] struct {
	kind   string // "write", "batch" or "final"
	chunks []T
	ctx    context.Context
	reply  chan error
}

// String renders the call as kind:chunk,chunk.
func (c *ctCall[T]) String() string {
	parts := make([]string, len(c.chunks))
	for i, ch := range c.chunks {
		parts[i] = ctStr(ch)
	}
	return c.kind + ":" + strings.Join(parts, ",")
}

// ctSink is a controllable Sink, BatchSink, Finaler and io.Closer.
//
// Every call is recorded in log (if set) as "sink:<kind>:<chunks>". If the
// sink is gated, each Write and WriteBatch (and Final, with gateFinal) is
// handed to the test on calls and stays in flight until the test replies
// with the call's result; so a test holds a write in flight for as long as
// it likes. A gated call gives up with ctx.Err() when the stream's ctx is
// cancelled, unless ignoreCtx is set, in which case only the reply counts.
// Wrap it with streamcore.Unbatched for a sink without WriteBatch.
type ctSink[T any] struct {
	log       *ctLog
	gated     bool
	gateFinal bool
	ignoreCtx bool
	finalErr  error         // Final's result when Final is not gated
	closeGate chan struct{} // if set, Close waits until it is closed
	calls     chan *ctCall[T]

	mu     sync.Mutex
	got    []T
	finals int
	closes int
}

func newCtSink[T any](log *ctLog, gated bool) *ctSink[T] {
	return &ctSink[T]{log: log, gated: gated, calls: make(chan *ctCall[T])}
}

func (s *ctSink[T]) Write(ctx context.Context, c T) error {
	return s.call(ctx, "write", []T{c})
}

func (s *ctSink[T]) WriteBatch(ctx context.Context, cs []T) error {
	return s.call(ctx, "batch", slices.Clone(cs))
}

func (s *ctSink[T]) Final(ctx context.Context) error {
	s.mu.Lock()
	s.finals++
	s.mu.Unlock()
	if s.log != nil {
		s.log.add("sink:final")
	}
	if !s.gateFinal {
		return s.finalErr
	}
	return s.wait(ctx, &ctCall[T]{kind: "final", ctx: ctx, reply: make(chan error, 1)})
}

func (s *ctSink[T]) Close() error {
	s.mu.Lock()
	s.closes++
	s.mu.Unlock()
	if s.log != nil {
		s.log.add("sink:close")
	}
	if s.closeGate != nil {
		<-s.closeGate
	}
	return nil
}

func (s *ctSink[T]) call(ctx context.Context, kind string, cs []T) error {
	c := &ctCall[T]{kind: kind, chunks: cs, ctx: ctx, reply: make(chan error, 1)}
	if s.log != nil {
		s.log.add("sink:%s", c)
	}
	s.mu.Lock()
	s.got = append(s.got, cs...)
	s.mu.Unlock()
	if !s.gated {
		return nil
	}
	return s.wait(ctx, c)
}

func (s *ctSink[T]) wait(ctx context.Context, c *ctCall[T]) error {
	select {
	case s.calls <- c:
	case <-ctx.Done():
		if !s.ignoreCtx {
			return ctx.Err()
		}
		s.calls <- c
	}
	if s.ignoreCtx {
		return <-c.reply
	}
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the next call into a gated sink, failing the test if none
// comes. (In a synctest bubble the guard timer fires only once every
// goroutine is blocked, i.e. when no call can come.)
func (s *ctSink[T]) next(t *testing.T) *ctCall[T] {
	t.Helper()
	select {
	case c := <-s.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no call reached the sink")
		return nil
	}
}

// expect receives the next call, checks that it renders as want, and
// returns it still in flight.
func (s *ctSink[T]) expect(t *testing.T, want string) *ctCall[T] {
	t.Helper()
	c := s.next(t)
	if c.String() != want {
		t.Fatalf("sink call: got %s, want %s", c, want)
	}
	return c
}

// none fails if a call is waiting to be received. Use it after
// synctest.Wait, when the flusher would be blocked handing a call over.
func (s *ctSink[T]) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-s.calls:
		t.Fatalf("unexpected sink call %s", c)
	default:
	}
}

func (s *ctSink[T]) received() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func (s *ctSink[T]) counts() (finals, closes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finals, s.closes
}

// ctDrainGate ends w and answers every call into the gated sink with nil
// until w has closed.
func ctDrainGate[T any](t *testing.T, w *streamcore.Writable[T], s *ctSink[T]) {
	t.Helper()
	w.End(nil)
	ctAnswerUntil(t, w.Done(), s)
}

// ctAnswerUntil answers every call into the gated sink with nil until done
// is closed.
func ctAnswerUntil[T any](t *testing.T, done <-chan struct{}, s *ctSink[T]) {
	t.Helper()
	guard := time.NewTimer(10 * time.Second)
	defer guard.Stop()
	for {
		select {
		case c := <-s.calls:
			c.reply <- nil
		case <-done:
			return
		case <-guard.C:
			t.Fatal("stream did not close")
		}
	}
}

// ctWait waits for ch to be closed, failing the test after a generous
// guard (which, in a synctest bubble, fires as soon as everything else is
// blocked).
func ctWait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// ctClosed reports whether ch is closed, without waiting.
func ctClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// ctErrCh returns a callback that sends its error on the returned channel.
func ctErrCh() (func(error), chan error) {
	ch := make(chan error, 1)
	return func(err error) { ch <- err }, ch
}

// ctRecv receives one value from ch, failing the test if none comes.
func ctRecv[V any](t *testing.T, ch <-chan V, what string) V {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero V
		return zero
	}
}

// ctGoid returns the calling goroutine's id, to prove a callback did not
// run inside the call that caused it.
func ctGoid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := strings.Fields(string(buf[:n]))
	id, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		panic("cannot parse goroutine id from " + string(buf[:n]))
	}
	return id
}

// ctNewW returns a byte-mode Writable on sink with the given hwm (negative:
// the default), failing the test on error.
func ctNewW(t *testing.T, sink streamcore.Sink[[]byte], hwm int) *streamcore.Writable[[]byte] {
	t.Helper()
	var opts streamcore.WritableOptions
	if hwm >= 0 {
		opts.HighWaterMark = streamcore.HWM(hwm)
	}
	w, err := streamcore.NewWritable(sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	// If the test fails half-way, do not leave the stream's goroutine
	// behind (a synctest bubble would report it as a deadlock).
	t.Cleanup(func() { w.Destroy(nil) })
	return w
}

func ctB(s string) []byte { return []byte(s) }
