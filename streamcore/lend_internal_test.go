package streamcore

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestLend_B5_OnlyThePipesListener holds the source in the moment inside
// Pipe between registering a destination and installing the pipes' data
// listener: a user's only data listener must still get every chunk, not
// have it lent to the destination.
func TestLend_B5_OnlyThePipesListener(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFile(in, FileOptions{HighWaterMark: HWM(16 << 10)})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := NewWritable[[]byte](Discard[[]byte]{}, WritableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Destroy(nil)
	src.mu.Lock()
	src.pipes = append(src.pipes, &pipeDest[[]byte]{dst: dst})
	src.piped = true
	src.mu.Unlock()
	var got []byte
	ended := make(chan struct{})
	src.OnEnd(func() { close(ended) })
	src.OnData(func(c []byte) { got = append(got, c...) })
	<-ended
	if !bytes.Equal(got, data) {
		t.Fatalf("the data listener got %d of %d bytes", len(got), len(data))
	}
}
