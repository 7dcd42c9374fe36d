// Command probeprog is a user's own program, for the tests: a producer
// that writes 4KiB records to a slow consumer through a queue, either
// waiting when the queue holds 64KiB (PROBEPROG_MODE=drain) or never
// (naive), and that speaks bpbench's probe: heap, GC and its queue's bytes.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/bpbench/bpbench/probe"
)

func main() {
	drain := os.Getenv("PROBEPROG_MODE") != "naive"
	p := probe.Start(context.Background())

	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var queue [][]byte
	var queued int64
	p.Buffered(func() int64 { mu.Lock(); defer mu.Unlock(); return queued })

	const records, size, hwm = 6000, 4 << 10, 64 << 10
	done := make(chan struct{})
	go func() { // the slow consumer: about 60MB/s
		defer close(done)
		for n := 0; n < records; n++ {
			mu.Lock()
			for len(queue) == 0 {
				cond.Wait()
			}
			rec := queue[0]
			queue = queue[1:]
			queued -= int64(len(rec))
			cond.Broadcast()
			mu.Unlock()
			if n%16 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for i := 0; i < records; i++ {
		rec := make([]byte, size)
		rec[0] = byte(i)
		mu.Lock()
		for drain && queued >= hwm {
			cond.Wait()
		}
		queue = append(queue, rec)
		queued += size
		cond.Broadcast()
		mu.Unlock()
	}
	<-done
	p.Stop(nil)
	fmt.Fprintln(os.Stderr, "probeprog: done")
}
