package workloads

import (
	"regexp"
	"strings"
)

// Select returns the workloads whose names match any of globs, in
// registry order within each glob, each once. A glob is a shell-style
// pattern in which * and ? also match "/" (so * selects node/* too), or a
// plain name; a glob that matches nothing is an error naming it (Lookup's).
func Select(globs []string) ([]*Workload, error) {
	var out []*Workload
	for _, g := range globs {
		g = strings.TrimSpace(g)
		n := 0
		for _, w := range All() {
			if globMatch(g, w.Name) && !containsWorkload(out, w) {
				out = append(out, w)
				n++
			}
		}
		if n == 0 && !anyMatch(out, g) {
			_, err := Lookup(g)
			return nil, err
		}
	}
	return out, nil
}

func containsWorkload(ws []*Workload, w *Workload) bool {
	for _, x := range ws {
		if x.Name == w.Name {
			return true
		}
	}
	return false
}

func anyMatch(ws []*Workload, g string) bool {
	for _, w := range ws {
		if globMatch(g, w.Name) {
			return true
		}
	}
	return false
}

// globMatch matches a workload name against a shell-style pattern in which
// * and ? also match "/", so that * selects node/* workloads too.
func globMatch(pattern, name string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	ok, _ := regexp.MatchString(re.String(), name)
	return ok
}
