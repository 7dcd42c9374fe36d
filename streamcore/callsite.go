package streamcore

import (
	"reflect"
	"runtime"
	"strconv"
	"strings"
)

// CallSite is a place in a program that called into a stream: the first
// frame of the caller's stack outside this package (and outside the Go
// runtime). Stats keeps one for the first write made while the stream owed
// a drain and one for the first extra drain listener, so that a report can
// name the line that ignores backpressure. A call with no frame of the
// program's on its stack (a pipe writing on a stream's own goroutine, as
// when a source waiting for drain was resumed by hand) gets the outermost
// frame of this package instead. The zero CallSite means none was
// recorded.
type CallSite struct {
	File     string // source file, as the compiler recorded it (an absolute path in most builds)
	Line     int    // line in File
	Function string // the function, package-qualified, as runtime.Frame.Function spells it
}

// IsZero reports whether c records no call site.
func (c CallSite) IsZero() bool { return c == CallSite{} }

// String returns "file:line", or "" for the zero CallSite.
func (c CallSite) String() string {
	if c.IsZero() {
		return ""
	}
	return c.File + ":" + strconv.Itoa(c.Line)
}

// pkgPrefix prefixes the function names of this package's frames; the
// package's tests (streamcore_test) do not share it.
var pkgPrefix = reflect.TypeFor[CallSite]().PkgPath() + "."

// callSite returns the first frame of the calling goroutine's stack that
// is neither in this package nor in the runtime. A call made on a stream's
// own goroutine with no frame of the program's (a pipe writing to its
// destination) gets the outermost frame of this package instead, so it
// still says where it came from. It allocates and walks the stack: callers
// take it once per stream, never on the write path's common case.
func callSite() CallSite {
	var pcs [64]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	var outer CallSite
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, pkgPrefix):
			outer = CallSite{File: f.File, Line: f.Line, Function: f.Function}
		case f.Function != "" && !strings.HasPrefix(f.Function, "runtime."):
			return CallSite{File: f.File, Line: f.Line, Function: f.Function}
		}
		if !more {
			return outer
		}
	}
}
