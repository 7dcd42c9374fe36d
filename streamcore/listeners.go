package streamcore

import (
	"slices"
	"sync"
)

// listener is one registered event listener; its address identifies it for
// removal, since Go cannot compare functions.
type listener[F any] struct{ fn F }

// addListener appends fn to *list (the caller holds mu) and returns the
// function that removes it again, under mu. Removal copies the list, so a
// snapshot taken for an event being emitted keeps every listener it had
// (Node's emit works on a copy too).
func addListener[F any](mu *sync.Mutex, list *[]*listener[F], fn F) (remove func()) {
	l := &listener[F]{fn}
	*list = append(*list, l)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if i := slices.Index(*list, l); i >= 0 {
			*list = slices.Delete(slices.Clone(*list), i, i+1)
		}
	}
}
