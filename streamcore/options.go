package streamcore

import (
	"errors"
	"fmt"
	"reflect"
)

// Default highWaterMarks (conformance item D1). Byte mode follows Node ≥ 22
// on non-Windows systems; object mode counts chunks.
const (
	DefaultHighWaterMark       = 64 * 1024
	DefaultObjectHighWaterMark = 16
)

// HWM returns a pointer to n, for the HighWaterMark fields of the option
// structs: a nil HighWaterMark means the default, HWM(0) means an explicit
// zero (every write reports backpressure).
func HWM(n int) *int { return &n }

// Errors reported by streams. They are sentinel values so callers can test
// them with errors.Is; the messages follow Node's error codes.
var (
	ErrWriteAfterEnd    = errors.New("streamcore: write after end")          // ERR_STREAM_WRITE_AFTER_END
	ErrDestroyed        = errors.New("streamcore: stream destroyed")         // ERR_STREAM_DESTROYED
	ErrAlreadyFinished  = errors.New("streamcore: stream already finished")  // ERR_STREAM_ALREADY_FINISHED
	ErrNullValue        = errors.New("streamcore: nil chunk in object mode") // ERR_STREAM_NULL_VALUES
	ErrPushAfterEOF     = errors.New("streamcore: push after end of stream") // ERR_STREAM_PUSH_AFTER_EOF
	ErrPrematureClose   = errors.New("streamcore: premature close")          // ERR_STREAM_PREMATURE_CLOSE
	ErrUnshiftAfterEnd  = errors.New("streamcore: unshift after end event")  // ERR_STREAM_UNSHIFT_AFTER_END_EVENT
	ErrPipelineTooShort = errors.New("streamcore: pipeline needs at least two streams")
)

// resolveHWM applies the defaults of D1 and the check of D2.
func resolveHWM(p *int, objectMode bool) (int64, error) {
	if p == nil {
		if objectMode {
			return DefaultObjectHighWaterMark, nil
		}
		return DefaultHighWaterMark, nil
	}
	if *p < 0 {
		return 0, fmt.Errorf("streamcore: invalid highWaterMark %d: it must be 0 or more (nil means the default)", *p)
	}
	return int64(*p), nil
}

// sizer returns how a chunk of type T is counted against the
// highWaterMark: its length for []byte and string in byte mode, 1 in object
// mode. Byte mode with any other type is a construction error.
func sizer[T any](objectMode bool) (func(T) int, error) {
	if objectMode {
		return nil, nil
	}
	var zero T
	switch any(zero).(type) {
	case []byte:
		return any(func(b []byte) int { return len(b) }).(func(T) int), nil
	case string:
		return any(func(s string) int { return len(s) }).(func(T) int), nil
	}
	return nil, fmt.Errorf("streamcore: byte mode needs chunks of []byte or string, not %T: set ObjectMode to count chunks instead", zero)
}

// isNil reports whether v is a nil pointer, map, slice, channel, function or
// interface, which object mode rejects (W11).
func isNil[T any](v T) bool {
	a := any(v)
	if a == nil {
		return true
	}
	rv := reflect.ValueOf(a)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
