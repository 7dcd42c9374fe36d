package main

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// asMain makes the test binary act as bpbench: testscript puts it on PATH
// as "bpbench", and the children that bpbench run starts (the same
// executable, "bpbench workload …") inherit the variable.
const asMain = "BPBENCH_TEST_AS_MAIN"

func bpbenchMain() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
	}
	testscript.Main(cleanup{m}, map[string]func(){"bpbench": bpbenchMain})
}

// cleanup runs the tests, then removes what they built once for all of
// them (buildBinaries' folder).
type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	code := c.m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	return code
}

// update rewrites the golden files: the cmp targets inside the scripts
// (go test ./cmd/bpbench -update).
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestScripts runs the CLI scripts in testdata/script: whole commands with
// small inputs and small caps.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv(asMain, "1")
			return nil
		},
	})
}
