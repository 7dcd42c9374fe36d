package streamcore

import (
	"bytes"
	"context"
	"strconv"
	"testing"
)

func TestSmokeWritable(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWritable[[]byte](SinkFunc[[]byte](func(ctx context.Context, c []byte) error { buf.Write(c); return nil }), WritableOptions{HighWaterMark: HWM(100)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	falses := 0
	for i := 0; i < 10000; i++ {
		if !w.Write([]byte("line " + strconv.Itoa(i) + "\n")) {
			falses++
			if err := w.WaitDrain(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Log(falses, w.Stats(), buf.Len())
}
