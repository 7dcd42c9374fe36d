package main

import (
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestHistoryScripts runs the history verb's scripts in testdata/history:
// real result folders from small bpbench runs, added to a history, with
// the command regress to make one of them worse.
func TestHistoryScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/history",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv(asMain, "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"regress": regress, "dbtamper": dbtamper},
	})
}

// regress SRC DST FACTOR writes a copy of the output folder SRC to DST
// with the peak RSS of every drain run multiplied by FACTOR: a regression
// injected into a real result set.
func regress(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: regress SRC DST FACTOR")
	}
	factor, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	set, err := results.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	n := 0
	for i := range set.Runs {
		if r := &set.Runs[i]; r.Variant == "drain" {
			r.PeakRSSBytes = int64(float64(r.PeakRSSBytes) * factor)
			n++
		}
	}
	if n == 0 {
		ts.Fatalf("%s has no drain run to regress", args[0])
	}
	ts.Check(set.WriteDir(ts.MkAbs(args[1])))
	fmt.Fprintf(ts.Stdout(), "regressed %d drain runs by ×%s\n", n, args[2])
}

// dbtamper DB schema N sets the schema version of the history DB to N, as
// a newer bpbench would write it; dbtamper DB damage overwrites the file
// after its first page (the SQLite header stays) with garbage.
func dbtamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: dbtamper DB schema N | dbtamper DB damage")
	}
	path := ts.MkAbs(args[0])
	switch args[1] {
	case "schema":
		if len(args) != 3 {
			ts.Fatalf("usage: dbtamper DB schema N")
		}
		db, err := sql.Open("sqlite", path)
		ts.Check(err)
		_, err = db.Exec(`UPDATE schema_version SET version = ?`, args[2])
		ts.Check(err)
		ts.Check(db.Close())
	case "damage":
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		ts.Check(err)
		fi, err := f.Stat()
		ts.Check(err)
		junk := make([]byte, fi.Size()-100)
		for i := range junk {
			junk[i] = byte(i*7 + 3)
		}
		_, err = f.WriteAt(junk, 100)
		ts.Check(err)
		ts.Check(f.Close())
	default:
		ts.Fatalf("dbtamper: unknown action %q", args[1])
	}
}
