package harness

// StartError is the error of a run that could not be started at all: its
// working folder, its probe pipe or the process itself failed. Run stops
// the suite with it (see Run); errors.As finds it, and errors.Is the cause
// (fs.ErrNotExist, fs.ErrPermission, ...).
type StartError struct {
	Run  string // the run's id, as in its samples file name
	Step string // what failed, e.g. "cannot start /usr/bin/node", "probe pipe"
	Err  error  // the cause
}

func (e *StartError) Error() string {
	return "harness: run " + e.Run + ": " + e.Step + ": " + e.Err.Error()
}

func (e *StartError) Unwrap() error { return e.Err }
