package probe

import (
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// sendLines writes the given reports with a probe tracking st and returns
// the lines it wrote.
func sendLines(t *testing.T, st Stats, err error, kinds ...byte) []string {
	t.Helper()
	r, w, perr := os.Pipe()
	if perr != nil {
		t.Fatal(perr)
	}
	defer r.Close()
	p := newProbe(w)
	p.Track(func() Stats { return st })
	for _, k := range kinds {
		p.send(k, err)
	}
	w.Close()
	out, _ := io.ReadAll(r)
	if len(out) == 0 || out[len(out)-1] != '\n' {
		t.Fatalf("output %q does not end in a newline", out)
	}
	return strings.Split(string(out[:len(out)-1]), "\n")
}

// Every field a Go program sends comes back from Parse as it was sent.
func TestParseRoundTripsBackpressureFields(t *testing.T) {
	st := Stats{Buffered: 1, PeakBuffered: 2, Writes: 3, FalseReturns: 4, Drains: 5, DrainWait: 6, Written: 7, Bound: 8,
		WritesAfterFalse: 9, BytesAfterFalse: 10, FirstWriteAfterFalse: CallSite{"/src/flood.go", 12, "main.flood"},
		ExtraDrainListeners: 11, FirstExtraDrainListener: CallSite{"/src/on.go", 34, "main.(*producer).stall"}}
	for _, line := range sendLines(t, st, errors.New("boom"), 's', 'f') {
		r, ok := Parse(line)
		if !ok {
			t.Fatalf("%q did not parse", line)
		}
		if r.Buf != 1 || r.PeakBuf != 2 || r.Writes != 3 || r.Falses != 4 || r.Drains != 5 || r.DrainWait != 6 || r.Written != 7 || r.Bound != 8 {
			t.Errorf("%q: old figures %+v", line, r)
		}
		if r.WritesAfterFalse != 9 || r.BytesAfterFalse != 10 || r.FirstWriteAfterFalse != st.FirstWriteAfterFalse ||
			r.ExtraDrainListeners != 11 || r.FirstExtraDrainListener != st.FirstExtraDrainListener {
			t.Errorf("%q: backpressure figures %+v", line, r)
		}
		if r.PushesAfterFalse != -1 || r.BytesPushedAfterFalse != -1 || !r.FirstPushAfterFalse.IsZero() {
			t.Errorf("%q: a Go program reports no pushes, got %+v", line, r)
		}
		if r.Final && r.Err != "boom" {
			t.Errorf("%q: err %q", line, r.Err)
		}
	}
	// A program with no violations says so: 0, and no call site keys.
	line := sendLines(t, NoStats(), nil, 's')[0]
	r, _ := Parse(line)
	if r.WritesAfterFalse != 0 || r.BytesAfterFalse != 0 || r.ExtraDrainListeners != 0 || strings.Contains(line, "file=") {
		t.Errorf("clean program: %q parsed as %+v", line, r)
	}
}

// The grammar, key by key, as the Node preload writes it (pushes too).
func TestParseEveryKey(t *testing.T) {
	line := `f heap=1 total=2 gc=3 buf=4 peakbuf=5 writes=6 false=7 drains=8 drainwait=9 written=10 bound=11` +
		` waf=12 wafbytes=13 waffile="/a b/flood.js" wafline=14 waffunc="Socket.<anonymous>"` +
		` xdrain=15 xdrainfile="/on.js" xdrainline=16 xdrainfunc="next"` +
		` paf=17 pafbytes=18 paffile="file:///src/src.mjs" pafline=19 paffunc="<anonymous>"` +
		` future="ignored \" waf=99" later=7 hwm=20 err="exit code 1"`
	want := Report{Final: true, Heap: 1, Total: 2, GC: 3, Buf: 4, PeakBuf: 5, Writes: 6, Falses: 7, Drains: 8, DrainWait: 9, Written: 10, Bound: 11,
		WritesAfterFalse: 12, BytesAfterFalse: 13, FirstWriteAfterFalse: CallSite{"/a b/flood.js", 14, "Socket.<anonymous>"},
		ExtraDrainListeners: 15, FirstExtraDrainListener: CallSite{"/on.js", 16, "next"},
		PushesAfterFalse: 17, BytesPushedAfterFalse: 18, FirstPushAfterFalse: CallSite{"file:///src/src.mjs", 19, "<anonymous>"},
		HWM: 20, Err: "exit code 1"}
	if got, ok := Parse(line); !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", line, got, want)
	}
}

// Lines written before the backpressure keys existed still parse, with
// the new figures unknown.
func TestParseOldLines(t *testing.T) {
	for _, line := range []string{
		`s heap=1 total=2 gc=3 buf=4 peakbuf=5 writes=6 false=7 drains=8 drainwait=9`,
		`f heap=1 total=2 buf=4 peakbuf=5 writes=6 false=7 written=10 bound=11 hwm=4096 err="exit code 1"`,
		`f heap=1 err=unquoted message with spaces waf=3`,
	} {
		r, ok := Parse(line)
		if !ok || r.Heap != 1 {
			t.Errorf("%q parsed as %+v, %v", line, r, ok)
		}
		if r.WritesAfterFalse != -1 || r.BytesAfterFalse != -1 || r.ExtraDrainListeners != -1 || r.PushesAfterFalse != -1 ||
			!r.FirstWriteAfterFalse.IsZero() || !r.FirstExtraDrainListener.IsZero() {
			t.Errorf("%q: new figures %+v; want unknown", line, r)
		}
	}
	if r, _ := Parse(`f heap=1 err=unquoted message with spaces waf=3`); r.Err != "unquoted message with spaces waf=3" {
		t.Errorf("unquoted err = %q", r.Err)
	}
}

// A call site is text the program controls (a path, a function name): no
// space, colon, quote or newline in it can end the line or add a key, and
// a long one is cut to a bound that keeps the line atomic.
func TestCallSiteCannotInject(t *testing.T) {
	odd := "/tmp/my dir/a:b/\"q\" waf=99 wafline=7\nf heap=666 err=\"x\"\r\t\x00\xff/é.go"
	st := NoStats()
	st.WritesAfterFalse, st.BytesAfterFalse = 2, 20
	st.FirstWriteAfterFalse = CallSite{File: odd, Line: 12, Function: "main.f wafline=1\n"}
	st.ExtraDrainListeners = 1
	st.FirstExtraDrainListener = CallSite{File: "/x" + strings.Repeat("/\n長い", 2000) + "/end.go", Line: 3, Function: strings.Repeat("\x01", 1000)}
	lines := sendLines(t, st, errors.New(strings.Repeat("\n\"", 3000)), 's', 'f')
	if len(lines) != 2 {
		t.Fatalf("2 reports became %d lines: %q", len(lines), lines)
	}
	for _, line := range lines {
		if len(line)+1 > maxLine {
			t.Errorf("line of %d bytes; want at most %d", len(line)+1, maxLine)
		}
		r, ok := Parse(line)
		if !ok || r.WritesAfterFalse != 2 || r.BytesAfterFalse != 20 || r.Heap == 666 || r.ExtraDrainListeners != 1 {
			t.Fatalf("%q parsed as %+v", line, r)
		}
		if r.FirstWriteAfterFalse.File != odd {
			t.Errorf("file %q; want %q", r.FirstWriteAfterFalse.File, odd)
		}
		if r.FirstWriteAfterFalse.Line != 12 || r.FirstWriteAfterFalse.Function != "main.f wafline=1\n" {
			t.Errorf("site %+v", r.FirstWriteAfterFalse)
		}
		long := r.FirstExtraDrainListener
		if !strings.HasPrefix(long.File, ellipsis) || !strings.HasSuffix(long.File, "/end.go") || !utf8.ValidString(long.File) || long.Line != 3 {
			t.Errorf("long file cut to %q (line %d); want its end kept", long.File, long.Line)
		}
		if !strings.HasSuffix(long.Function, ellipsis) || !strings.HasPrefix(long.Function, "\x01") {
			t.Errorf("long function cut to %q; want its start kept", long.Function)
		}
		if r.Final && (!strings.HasPrefix(r.Err, "\n\"") || !strings.HasSuffix(r.Err, ellipsis)) {
			t.Errorf("long error cut to %q", r.Err)
		}
	}
}

func TestAppendQuotedBound(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("a", 500), strings.Repeat("é", 500), strings.Repeat("\n", 500), strings.Repeat("\xff", 500)} {
		for _, tail := range []bool{false, true} {
			for _, limit := range []int{16, 100, 384} {
				q := appendQuoted(nil, s, limit, tail)
				if len(q) > limit {
					t.Errorf("appendQuoted(%.10q…, %d, %v) = %d bytes", s, limit, tail, len(q))
				}
			}
		}
	}
}
