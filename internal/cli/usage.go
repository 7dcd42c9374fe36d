package cli

import (
	"errors"
	"flag"
	"fmt"
)

// ExitUsage is the exit code of a command line bpbench refuses.
const ExitUsage = 2

// A UsageError is a command line bpbench refuses before it does anything:
// a flag that does not parse, a value out of range, an argument too many.
// A command exits ExitUsage on it. Check for it with errors.As.
type UsageError struct {
	// Msg is the message, when it says more than Err: the flag and the
	// fix, where Err is a package's own error (a *harness.ConfigError).
	Msg string
	Err error
	// BadFlag is set when the flags themselves did not parse (an unknown
	// flag, a value of the wrong type): the command's usage line helps.
	BadFlag bool
}

func (e *UsageError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.Err.Error()
}

func (e *UsageError) Unwrap() error { return e.Err }

// Errorf returns a *UsageError with the message of fmt.Errorf, which it
// wraps (%w keeps the cause).
func Errorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// IsBadFlag reports whether err is a *UsageError for flags that did not
// parse.
func IsBadFlag(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue) && ue.BadFlag
}

// ParseInterleaved parses flags and positional arguments in any order
// (bpbench merge a b --out c; bpbench workload NAME --lines 10) and returns
// the positional ones; after "--" everything is positional. fs should
// report errors (flag.ContinueOnError); they come back as a *UsageError
// with BadFlag set, except flag.ErrHelp for -h, returned as is.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &UsageError{Err: err, BadFlag: true}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
