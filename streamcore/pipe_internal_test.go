package streamcore

import (
	"context"
	"testing"
)

// TestPipe_P4_PipeUnpipeStreams ports test-stream-pipe-unpipe-streams.js:
// destinations can be unpiped in any order, a second Unpipe changes
// nothing, and unpiping leaves no listener behind on the destination; with
// every destination unpiped the source is paused.
func TestPipe_P4_PipeUnpipeStreams(t *testing.T) {
	src, _ := NewReadable[[]byte](SourceFunc[[]byte](func(context.Context, *Readable[[]byte], int) {}), ReadableOptions{})
	d1, _ := NewWritable[[]byte](Discard[[]byte]{}, WritableOptions{})
	d2, _ := NewWritable[[]byte](Discard[[]byte]{}, WritableOptions{})
	defer src.Destroy(nil)
	defer d1.Destroy(nil)
	defer d2.Destroy(nil)
	listeners := func(w *Writable[[]byte]) int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.onClose) + len(w.onFinish)
	}
	Pipe(src, d1, PipeOptions{})
	Pipe(src, d2, PipeOptions{})
	if n := len(src.pipes); n != 2 || src.pipes[0].dst != d1 || src.pipes[1].dst != d2 {
		t.Fatalf("pipes %d, want d1 then d2", n)
	}
	src.Unpipe(d2) // the reverse order they were piped in
	if len(src.pipes) != 1 || src.pipes[0].dst != d1 || listeners(d2) != 0 {
		t.Fatalf("after unpiping d2: %d pipes, %d listeners left on d2", len(src.pipes), listeners(d2))
	}
	src.Unpipe(d2) // nothing to do
	src.Unpipe(d1)
	if len(src.pipes) != 0 || listeners(d1) != 0 {
		t.Fatalf("after unpiping both: %d pipes, %d listeners left on d1", len(src.pipes), listeners(d1))
	}
	if !src.IsPaused() {
		t.Error("source not paused with every destination unpiped")
	}
}
