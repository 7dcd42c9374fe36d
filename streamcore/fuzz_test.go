package streamcore

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fuzzSink records what it is given and yields a random number of times per
// call, so that the stream's goroutine and the producer interleave in many
// ways. It counts the bytes it has returned from (an upper bound on what
// the stream has accounted as written).
type fuzzSink struct {
	mu       sync.Mutex
	got      []byte
	calls    int
	rng      *rand.Rand // used only on the stream's goroutine
	maxYield int
	returned atomic.Int64
}

func (s *fuzzSink) take(chunks ...[]byte) {
	for n := s.rng.IntN(s.maxYield + 1); n > 0; n-- {
		runtime.Gosched()
	}
	var n int64
	s.mu.Lock()
	for _, c := range chunks {
		s.got = append(s.got, c...)
		n += int64(len(c))
	}
	s.calls++
	s.mu.Unlock()
	s.returned.Add(n)
}

func (s *fuzzSink) Write(_ context.Context, c []byte) error { s.take(c); return nil }

type fuzzBatchSink struct{ *fuzzSink }

func (s fuzzBatchSink) WriteBatch(_ context.Context, cs [][]byte) error { s.take(cs...); return nil }

// fuzzJoinSink is a fuzzBatchSink that says chunk boundaries do not
// matter to it (ByteStreamSink), so the byte path hands it joined writes.
type fuzzJoinSink struct{ fuzzBatchSink }

func (fuzzJoinSink) JoinsChunks() {}

// FuzzWritable drives a Writable with random chunk sizes, highWaterMarks
// (0 included), cork/uncork sequences, batch and plain sinks, sink
// latencies, and producers that honour or ignore false, and checks:
//
//   - every byte written reaches the sink exactly once and in order;
//   - Write returns false iff the buffered length just after adding the
//     chunk is ≥ hwm, where that length (read under the stream's lock by a
//     test hook) must lie between bytes written minus bytes the sink has
//     returned from, and bytes written minus bytes whose callbacks ran;
//   - drain fires only after a false since the previous drain, only when
//     the length is 0, never after End, and a producer waiting for it is
//     always released; Stats agrees with what was observed.
//
// ops bytes: 0x00-0xEF write a chunk of (b % 80) bytes; 0xF0-0xF7 Cork;
// 0xF8-0xFD Uncork; 0xFE wait for drain if one is due; 0xFF yield.
// flags: bit 0 batch sink; bit 1 honour false; bit 2 wait with OnceDrain
// instead of WaitDrain; bit 3 plain Write and WriteString (the byte path's
// lock-free fast path) for three writes in four, with a Flush now and then,
// and with bit 0 a sink that joins chunks; bits 4-7 sink latency (yields
// per call, up to 8×).
func FuzzWritable(f *testing.F) {
	f.Add(uint16(10), uint8(0x00), []byte{4, 4, 2})
	f.Add(uint16(10), uint8(0x13), []byte{4, 4, 2, 0xFE, 11, 0, 3})
	f.Add(uint16(0), uint8(0x02), []byte{1, 0, 5, 0xFE, 0, 0})
	f.Add(uint16(0), uint8(0xF1), []byte{0xF0, 3, 3, 0xF8, 0, 7, 0xFE})
	f.Add(uint16(16), uint8(0x21), []byte{0xF0, 0xF1, 5, 6, 7, 0xF8, 8, 0xF9, 9, 0xFF, 10, 79})
	f.Add(uint16(64), uint8(0x57), bytes.Repeat([]byte{33, 0xF0, 12, 0xFE, 40, 0xF8, 70}, 20))
	f.Add(uint16(1), uint8(0x86), bytes.Repeat([]byte{1, 2, 0, 0xFF}, 30))
	f.Add(uint16(299), uint8(0xA1), bytes.Repeat([]byte{79, 78, 77, 0xF2, 76, 0xFA}, 25))
	f.Add(uint16(7), uint8(0x34), []byte{0xF0, 0xF0, 0xF0, 9, 9, 9, 0xF8, 0xF8, 0xFE, 9})
	f.Add(uint16(299), uint8(0x1B), bytes.Repeat([]byte{11, 12, 13, 14, 0xFF, 79, 5, 0xF0, 6, 0xF8}, 30))
	f.Add(uint16(160), uint8(0x0A), bytes.Repeat([]byte{7, 8, 9, 10, 11, 12, 0xFE}, 40))
	f.Add(uint16(64), uint8(0x4F), bytes.Repeat([]byte{1, 0, 30, 31, 0xFF}, 50))
	f.Fuzz(func(t *testing.T, hwm16 uint16, flags uint8, ops []byte) {
		if len(ops) > 1000 {
			ops = ops[:1000]
		}
		fuzzWritable(t, int64(hwm16%300), flags, ops)
	})
}

func fuzzWritable(t *testing.T, hwm int64, flags uint8, ops []byte) {
	batch, honour, once, plain := flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0
	h := fnv.New64a()
	h.Write(ops)
	fs := &fuzzSink{rng: rand.New(rand.NewPCG(h.Sum64(), uint64(flags))), maxYield: int(flags>>4) * 8}
	var sink Sink[[]byte] = fs
	switch {
	case batch && plain:
		sink = fuzzJoinSink{fuzzBatchSink{fs}}
	case batch:
		sink = fuzzBatchSink{fs}
	}
	hw := int(hwm)
	w, err := NewWritable[[]byte](sink, WritableOptions{HighWaterMark: &hw})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Destroy(nil)

	var (
		written   atomic.Int64 // bytes accepted, including the chunk being written
		called    atomic.Int64 // bytes whose write callback has run
		cbBytes   int64        // bytes written with a callback
		ended     atomic.Bool  // End has returned
		falseSeen bool         // under w.mu: a write returned false since the last drain
		drains    int64        // under w.mu
		hookErr   []string     // under w.mu
	)
	fail := func(format string, a ...any) {
		if len(hookErr) < 10 {
			hookErr = append(hookErr, fmt.Sprintf(format, a...))
		}
	}
	w.mu.Lock()
	w.testHook = func(length int64, ok, drain bool) {
		if drain {
			drains++
			if length != 0 {
				fail("drain at length %d", length)
			}
			if !falseSeen {
				fail("drain without a false write since the last one")
			}
			if ended.Load() {
				fail("drain after End")
			}
			falseSeen = false
			return
		}
		wr, ret, cb := written.Load(), fs.returned.Load(), called.Load()
		if length < wr-ret || length > wr-cb {
			fail("length %d after a write: want between %d (written %d - sink returned %d) and %d (written - called back %d)", length, wr-ret, wr, ret, wr-cb, cb)
		}
		if ok != (length < hwm) {
			fail("Write returned %v at length %d, hwm %d", ok, length, hwm)
		}
		if !ok {
			falseSeen = true
		}
	}
	w.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	waitDrain := func() {
		for w.Corked() > 0 {
			w.Uncork()
		}
		if once {
			ch := make(chan struct{})
			w.OnceDrain(func() { close(ch) })
			select {
			case <-ch:
			case <-ctx.Done():
				t.Fatal("OnceDrain: drain never came")
			}
		} else if err := w.WaitDrain(ctx); err != nil {
			t.Fatalf("WaitDrain: %v", err)
		}
		if w.NeedDrain() {
			t.Fatal("released from waiting for drain, but a drain is still due")
		}
	}

	var want []byte
	var writes, falses int64
	pos := 0
	for _, op := range ops {
		switch {
		case op < 0xF0:
			c := make([]byte, int(op)%80)
			for i := range c {
				c[i] = byte(pos % 251)
				pos++
			}
			want = append(want, c...)
			n := int64(len(c))
			written.Add(n)
			writes++
			var ok bool
			switch {
			case plain && writes%4 == 1:
				ok = w.Write(c)
				clear(c) // the byte path copied it
			case plain && writes%4 == 2:
				ok = w.WriteString(string(c))
			case plain && writes%4 == 3:
				ok = w.Write(c)
				if op%7 == 0 {
					w.Flush()
				}
			default:
				cbBytes += n
				ok = w.WriteCB(c, func(err error) {
					if err != nil {
						t.Errorf("write callback: %v", err)
					}
					called.Add(n)
				})
			}
			if !ok {
				falses++
				if honour {
					waitDrain()
				}
			}
		case op < 0xF8:
			w.Cork()
		case op < 0xFE:
			w.Uncork()
		case op == 0xFE:
			waitDrain()
		default:
			runtime.Gosched()
		}
	}
	waitDrain()
	w.End(nil)
	ended.Store(true)
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("stream did not close")
	}

	st := w.Stats()
	w.mu.Lock()
	errs, nDrains := hookErr, drains
	w.mu.Unlock()
	for _, e := range errs {
		t.Error(e)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("stream error %v", err)
	}
	fs.mu.Lock()
	got := fs.got
	fs.mu.Unlock()
	if !bytes.Equal(got, want) {
		t.Fatalf("sink got %d bytes, want %d: not every byte exactly once and in order", len(got), len(want))
	}
	if c := called.Load(); c != cbBytes {
		t.Fatalf("callbacks covered %d bytes, want %d", c, cbBytes)
	}
	if st.Writes != writes || st.FalseReturns != falses || st.Drains != nDrains || st.Buffered != 0 {
		t.Fatalf("stats %+v; want Writes %d FalseReturns %d Drains %d Buffered 0", st, writes, falses, nDrains)
	}
	if st.PeakBuffered > int64(len(want)) {
		t.Fatalf("peak %d > bytes written %d", st.PeakBuffered, len(want))
	}
}
