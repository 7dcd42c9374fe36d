package cli

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/workloads"
)

func newFS() *flag.FlagSet {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func TestParseInterleaved(t *testing.T) {
	fs := newFS()
	out := fs.String("out", "", "")
	pos, err := ParseInterleaved(fs, []string{"a", "--out", "o", "b", "--", "--c"})
	if err != nil || *out != "o" || !slices.Equal(pos, []string{"a", "b", "--c"}) {
		t.Fatalf("got %q, %q, %v", pos, *out, err)
	}
	_, err = ParseInterleaved(newFS(), []string{"--bogus"})
	var ue *UsageError
	if !errors.As(err, &ue) || !ue.BadFlag || !IsBadFlag(err) {
		t.Errorf("an unknown flag gave %#v, want a *UsageError with BadFlag", err)
	}
	if _, err := ParseInterleaved(newFS(), []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h gave %v, want flag.ErrHelp", err)
	}
}

// The workloads' parameter errors come back as the flags that set them.
func TestParamErrorsNameTheFlag(t *testing.T) {
	w, err := workloads.Lookup("million-line-writer")
	if err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{
		"--lines x":       `--lines "x": give a positive whole number of lines, e.g. --lines 1000000`,
		"--hwm 12XB":      `--hwm: bad size "12XB"`,
		"--rate 1MiB":     `workload million-line-writer does not use --rate`,
		"--hwm 64KiB,1XB": `--hwm: bad size "1XB"`,
	} {
		fs := newFS()
		pf := AddParamFlags(fs, ParamOptions{HWMList: strings.Contains(args, ",")})
		if _, err := ParseInterleaved(fs, strings.Fields(args)); err != nil {
			t.Fatal(err)
		}
		_, err := pf.HWMs()
		if err == nil {
			_, err = pf.Params(w, true)
		}
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want a *UsageError saying %q", args, err, want)
		}
	}
}
