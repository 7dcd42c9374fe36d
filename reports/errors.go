package reports

import (
	"errors"
	"fmt"
)

// The kinds of error reports returns, for errors.Is. Each error's own text
// says, for the user, what was wrong and what to do; it wraps one of these,
// and the cause when there is one (an input folder without runs wraps
// results.ErrNoRuns).
var (
	// ErrNotResults: an input holds no Go benchmark results (not that
	// format, or no Benchmark lines).
	ErrNotResults = errors.New("reports: not benchmark results")
	// ErrNothingMeasured: every run of an input was interrupted, or a
	// sweep has no measured run.
	ErrNothingMeasured = errors.New("reports: nothing measured")
	// ErrIncomparable: two inputs have no benchmark or no unit in common,
	// or were capped differently (see Incomparable).
	ErrIncomparable = errors.New("reports: inputs cannot be compared")
	// ErrDuplicateRun: an output folder's runs.json holds one run twice
	// (the same benchmark, side and repetition, or the same id).
	ErrDuplicateRun = errors.New("reports: a run is in the input twice")
	// ErrBadOption: a setting is out of range or names what the results
	// do not have (a format, a threshold, a budget, a margin, an hwm).
	ErrBadOption = errors.New("reports: bad option")
)

// kindError is an error written for the user that is also of a kind.
type kindError struct {
	kind error // one of the sentinels above
	err  error // the message and its cause
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// errorf is fmt.Errorf(format, args...) of kind: errors.Is finds kind, and
// whatever the message wraps with %w.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}
