package streamcore_test

// The Transform's end path against Node 20 (CONFORMANCE.md T5): the
// scenarios of testdata/transform_end.js, run on streamcore and compared
// line by line with what node v20.20.2 printed for them (nodeTransformEnd).

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/bpbench/bpbench/streamcore"
)

// nodeTransformEnd is the output of `node testdata/transform_end.js` with
// node v20.20.2. TestTransform_T5_NodeOutputMatches checks it is still
// what node prints, where node is installed.
const nodeTransformEnd = `ended, before read: transformed=1 readable=10 writable=50 flushed=false finished=false ended=false
ended, after one read: transformed=5 readable=40 writable=0 flushed=false finished=true ended=false
flush, before read: transformed=1 readable=10 writable=50 flushed=false finished=false ended=false
flush, after one read: transformed=5 readable=50 writable=0 flushed=true finished=true ended=false
flush, order: transform,transform,transform,transform,transform,flush,finish
flush, after reading all: transformed=5 readable=0 writable=0 flushed=true finished=true ended=true
paused, before resume: transformed=1 readable=10 writable=50 flushed=false finished=false ended=false
paused, after resume: transformed=5 readable=0 writable=0 flushed=false finished=true ended=true
paused, data: 50; order: transform,transform,transform,transform,transform,finish,end
full, before read: transformed=1 readable=10 writable=10 flushed=false finished=false ended=false
full, after one read: transformed=1 readable=0 writable=0 flushed=false finished=true ended=false
end(chunk), before read: transformed=1 readable=10 writable=30 flushed=false finished=false ended=false
end(chunk), after one read: transformed=3 readable=20 writable=0 flushed=false finished=true ended=false
`

// ctEndScene is transform_end.js's make(): an identity Transform of
// highWaterMark 10 that counts what it transformed and logs its events.
type ctEndScene struct {
	t                        *streamcore.Transform[[]byte, []byte]
	mu                       sync.Mutex
	transformed              int
	flushed, finished, ended bool
	log                      []string
}

func newCtEndScene(t *testing.T, withFlush bool) *ctEndScene {
	s := &ctEndScene{}
	opts := streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(10)}
	if withFlush {
		opts.Flush = func(_ context.Context, push func([]byte) bool) error {
			s.event("flush", &s.flushed)
			push(bytes.Repeat([]byte{'F'}, 10))
			return nil
		}
	}
	s.t = ctIdentity(t, func(int) error {
		s.mu.Lock()
		s.transformed++
		s.log = append(s.log, "transform")
		s.mu.Unlock()
		return nil
	}, opts)
	s.t.Writable.OnFinish(func() { s.event("finish", &s.finished) })
	s.t.Readable.OnEnd(func() { s.event("end", &s.ended) })
	return s
}

func (s *ctEndScene) event(name string, flag *bool) {
	s.mu.Lock()
	*flag = true
	s.log = append(s.log, name)
	s.mu.Unlock()
}

// show renders the state as transform_end.js's show() does, once every
// goroutine of the bubble has settled.
func (s *ctEndScene) show(name string) string {
	synctest.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%s: transformed=%d readable=%d writable=%d flushed=%t finished=%t ended=%t\n",
		name, s.transformed, s.t.Readable.Length(), s.t.Writable.Length(), s.flushed, s.finished, s.ended)
}

func (s *ctEndScene) order() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, ",")
}

func ctTen() []byte { return bytes.Repeat([]byte{'x'}, 10) }

// writeEndRead is transform_end.js's writeEndRead: n chunks of 10 bytes
// (the last with EndWith if withEndChunk, else End after them), the state,
// one Read(10), the state again.
func (s *ctEndScene) writeEndRead(name string, n int, withEndChunk bool) string {
	if withEndChunk {
		n--
	}
	for range n {
		s.t.Writable.Write(ctTen())
	}
	if withEndChunk {
		s.t.Writable.EndWith(ctTen(), nil)
	} else {
		s.t.Writable.End(nil)
	}
	before := s.show(name + ", before read")
	s.t.Readable.Read(10)
	return before + s.show(name+", after one read")
}

// TestTransform_T5_EndPathAsNode: a Transform whose writable side has
// ended keeps transforming the chunks it holds as the reader reads (after
// one read every queued chunk went through transform, the readable side
// holds them, and finish fired); flush comes after the last transform and
// before finish; a paused transform ended flows out on resume; a held
// write alone keeps finish back until a read; end(chunk) likewise.
func TestTransform_T5_EndPathAsNode(t *testing.T) {
	var got strings.Builder
	synctest.Test(t, func(t *testing.T) {
		// 1. Ended with chunks queued and the readable side full.
		got.WriteString(newCtEndScene(t, false).writeEndRead("ended", 5, false))

		// 2. Flush after the last transform, before finish.
		s := newCtEndScene(t, true)
		got.WriteString(s.writeEndRead("flush", 5, false))
		got.WriteString("flush, order: " + s.order() + "\n")
		for {
			if _, ok := s.t.Readable.Read(0); !ok {
				break
			}
		}
		got.WriteString(s.show("flush, after reading all"))

		// 3. Ended while paused in flowing mode.
		s = newCtEndScene(t, false)
		var mu sync.Mutex
		data := 0
		s.t.Readable.Pause()
		s.t.Readable.OnData(func(c []byte) { mu.Lock(); data += len(c); mu.Unlock() })
		for range 5 {
			s.t.Writable.Write(ctTen())
		}
		s.t.Writable.End(nil)
		got.WriteString(s.show("paused, before resume"))
		s.t.Readable.Resume()
		got.WriteString(s.show("paused, after resume"))
		mu.Lock()
		got.WriteString(fmt.Sprintf("paused, data: %d; order: %s\n", data, s.order()))
		mu.Unlock()

		// 4. Ended with the readable side full and nothing queued.
		got.WriteString(newCtEndScene(t, false).writeEndRead("full", 1, false))

		// 5. end(chunk) with the readable side full.
		got.WriteString(newCtEndScene(t, false).writeEndRead("end(chunk)", 3, true))
	})
	if got.String() != nodeTransformEnd {
		t.Errorf("streamcore:\n%s\nnode v20.20.2 (testdata/transform_end.js):\n%s", got.String(), nodeTransformEnd)
	}
}

// TestTransform_T5_NodeOutputMatches runs testdata/transform_end.js with
// the node on PATH, if any, and checks that nodeTransformEnd is what it
// prints, so the figures above stay Node's own.
func TestTransform_T5_NodeOutputMatches(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, "testdata/transform_end.js").Output()
	if err != nil {
		t.Fatalf("node testdata/transform_end.js: %v", err)
	}
	if string(out) != nodeTransformEnd {
		t.Errorf("node prints:\n%s\nthe test expects:\n%s", out, nodeTransformEnd)
	}
}
