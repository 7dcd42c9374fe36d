package caps

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/cli"
)

func TestConfig(t *testing.T) {
	for args, want := range map[string]string{
		"--count 0":                           "--count 0: give a count of 1 or more",
		"--memlimit 12XB":                     `--memlimit: bad size "12XB"`,
		"--hard-limit 0":                      "--hard-limit 0: give a size above zero",
		"--memlimit 64MiB --hard-limit 32MiB": "--hard-limit 32MiB is below --memlimit 64MiB",
		"--interval 0s":                       "--interval 0s: give a positive duration",
		"--interval 1ns":                      "--interval 1ns: at least 1ms",
		"--count 1000000":                     "--count 1000000: at most 1000 runs per cell",
		"--timeout -1s":                       "--timeout -1s: give a positive duration, or 0 for none",
		"--shard 3/2":                         `--shard "3/2": bad shard`,
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := Add(fs, Options{Shard: true})
		if err := fs.Parse(strings.Fields(args)); err != nil {
			t.Fatal(err)
		}
		_, err := f.Config()
		var ue *cli.UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want a *cli.UsageError starting %q", args, err, want)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Add(fs, Options{Count: 5, Warmup: true})
	cfg, err := f.Config()
	if err != nil || cfg.Count != 5 || !cfg.Warmup || cfg.MemLimit != 128<<20 || cfg.Interval != harness.DefaultInterval {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
}

// A refusal of harness.Config.Validate keeps its cause.
func TestCheckWrapsTheHarnessError(t *testing.T) {
	err := Check(harness.Config{MemLimit: 2, HardLimit: 1})
	if !errors.Is(err, harness.ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "--hard-limit") {
		t.Errorf("got %v", err)
	}
}
