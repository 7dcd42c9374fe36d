package streamcore

import "testing"

// A long queue grows by doubling: a producer that ignores backpressure
// against a sink that never runs (Cooperative, nobody waits) reallocates
// its queue a few times, not the dozens append's quarter steps would take,
// and every chunk is still queued in order.
func TestQueueGrowsByDoubling(t *testing.T) {
	w, err := NewWritable[string](Discard[string]{}, WritableOptions{HighWaterMark: HWM(1 << 10), Cooperative: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Destroy(nil)
	const n = 1 << 17
	grows, last := 0, 0
	for i := range n {
		w.Write("x")
		w.mu.Lock()
		l, c := len(w.queue), cap(w.queue)
		w.mu.Unlock()
		if l != i+1 {
			t.Fatalf("after %d writes the queue holds %d", i+1, l)
		}
		if c != last {
			grows++
			last = c
			if l > queueDoubling && c != 2*(l-1) {
				t.Fatalf("queue of %d grew to capacity %d; want double", l-1, c)
			}
		}
	}
	if grows > 20 {
		t.Errorf("the queue grew %d times for %d chunks; want at most 20", grows, n)
	}
}
