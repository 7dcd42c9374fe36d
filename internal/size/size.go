// Package size parses and formats byte sizes in GOMEMLIMIT syntax: a plain
// number of bytes or a number followed by B, KiB, MiB, GiB or TiB.
package size

import (
	"fmt"
	"strconv"
	"strings"
)

var units = []struct {
	suffix string
	mult   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1},
}

// Parse reads s as a byte count in GOMEMLIMIT syntax ("128MiB", "64KiB",
// "4096", "0"). Fractions are allowed with a unit ("1.5GiB"). Negative
// sizes and unknown units are errors that say what is accepted.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty size: give bytes or a number with B, KiB, MiB, GiB or TiB (e.g. 128MiB)")
	}
	num, mult := t, int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("size %q is negative: sizes are zero or more bytes", s)
		}
		if mult > 1 && n > (1<<62)/mult {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f != f || strings.ContainsAny(num, "eExXpP") {
		return 0, fmt.Errorf("bad size %q: use bytes or a number with B, KiB, MiB, GiB or TiB (e.g. 128MiB, 64KiB, 4096)", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("size %q is negative: sizes are zero or more bytes", s)
	}
	if f*float64(mult) > float64(int64(1)<<62) {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(f * float64(mult)), nil
}

// Format writes n in the largest unit that divides it exactly, so that
// Parse(Format(n)) == n: 65536 → "64KiB", 134217728 → "128MiB", 1000 → "1000B".
func Format(n int64) string {
	if n == 0 {
		return "0B"
	}
	for _, u := range units {
		if u.mult > 1 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// Human writes n rounded to one decimal in the largest unit it reaches, for
// tables meant to be read: 1572864 → "1.5MiB".
func Human(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10) + "B"
	for _, u := range units {
		if u.mult > 1 && n >= u.mult {
			s = strconv.FormatFloat(float64(n)/float64(u.mult), 'f', 1, 64) + u.suffix
			break
		}
	}
	if neg {
		return "-" + s
	}
	return s
}
