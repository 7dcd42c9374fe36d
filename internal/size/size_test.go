package size

import "testing"

func TestParse(t *testing.T) {
	good := map[string]int64{
		"0": 0, "4096": 4096, "1B": 1, "64KiB": 65536, "128MiB": 128 << 20,
		"1GiB": 1 << 30, "1.5GiB": 3 << 29, " 16KiB ": 16384, "2TiB": 2 << 40,
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12XB", "-1", "-1MiB", "MiB", "1e9", "abc", "1.2.3KiB", "NaN"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) succeeded; want error", in)
		}
	}
}

func TestFormatRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 1, 1000, 1024, 65536, 128 << 20, 3 << 29, 1<<40 + 1} {
		s := Format(n)
		got, err := Parse(s)
		if err != nil || got != n {
			t.Errorf("Parse(Format(%d)=%q) = %d, %v", n, s, got, err)
		}
	}
	if got := Format(65536); got != "64KiB" {
		t.Errorf("Format(65536) = %q", got)
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{512: "512B", 1536: "1.5KiB", 1572864: "1.5MiB", -2048: "-2.0KiB"} {
		if got := Human(n); got != want {
			t.Errorf("Human(%d) = %q; want %q", n, got, want)
		}
	}
}
