package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// A backpressure violation is a call that ignored backpressure: a write
// after write() returned false, a push after push() returned false, a
// second drain listener. The probe counts them and keeps the call site of
// the first (results.Run.Violations). They are causes, not symptoms: the
// gate fails a drain-aware run that made any, and any increase from base
// to head, without statistics, naming the line.

// violationKind is one kind of violation with its unit in results.txt and
// its counts in a run.
type violationKind struct {
	kind, unit string
	one, many  string // what one call and several are, after the count
	count      func(r *results.Run) *int64
	bytes      func(r *results.Run) *int64 // nil: the kind adds no bytes
}

var violationKinds = []violationKind{
	{results.WriteAfterFalse, results.UnitWritesAfterFalse, "write after write() returned false", "writes after write() returned false",
		func(r *results.Run) *int64 { return r.WritesAfterFalse }, func(r *results.Run) *int64 { return r.BytesAfterFalse }},
	{results.PushAfterFalse, results.UnitPushesAfterFalse, "push after push() returned false", "pushes after push() returned false",
		func(r *results.Run) *int64 { return r.PushesAfterFalse }, func(r *results.Run) *int64 { return r.BytesPushedAfterFalse }},
	{results.ExtraDrainListener, results.UnitExtraDrainListeners, "drain listener added while one was already attached", "drain listeners added while one was already attached",
		func(r *results.Run) *int64 { return r.ExtraDrainListeners }, nil},
}

// describe is "183,412 writes after write() returned false (35.0MiB)".
func (k violationKind) describe(count, bytes int64) string {
	s := FormatCount(count) + " " + k.many
	if count == 1 {
		s = "1 " + k.one
	}
	if k.bytes != nil && bytes > 0 {
		s += " (" + size.Human(bytes) + ")"
	}
	return s
}

// FormatCount writes a count of calls with a comma between each group of
// three digits: 183,412.
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// runSites are run's violations of kind: its recorded call sites, and a
// site "" for what its count has beyond them (a probe that counted but
// recorded no call site).
func runSites(r *results.Run, k violationKind) []results.Violation {
	var out []results.Violation
	var counted int64
	for _, v := range r.Violations {
		if v.Kind == k.kind && v.Count > 0 {
			out = append(out, v)
			counted += v.Count
		}
	}
	if n := k.count(r); n != nil && *n > counted {
		rest := results.Violation{Kind: k.kind, Count: *n - counted}
		if k.bytes != nil && k.bytes(r) != nil && len(out) == 0 {
			rest.Bytes = *k.bytes(r)
		}
		out = append(out, rest)
	}
	return out
}

// siteTally is what the runs of one benchmark did at one call site.
type siteTally struct {
	site, function string
	counts, bytes  []float64 // per run that made them here
}

// kindTally is what the runs of one benchmark did of one kind.
type kindTally struct {
	counts []float64 // per run that reported the kind (0 included)
	sites  []*siteTally
}

// made is the runs that made any.
func (t *kindTally) made() int {
	n := 0
	for _, c := range t.counts {
		if c > 0 {
			n++
		}
	}
	return n
}

func (t *kindTally) site(s string) *siteTally {
	for _, st := range t.sites {
		if st.site == s {
			return st
		}
	}
	return nil
}

// siteList is the tally's recorded call sites, as recorded.
func (t *kindTally) siteList() []string {
	var out []string
	for _, st := range t.sites {
		if st.site != "" {
			out = append(out, st.site)
		}
	}
	return out
}

// add counts run r into the tally.
func (t *kindTally) add(r *results.Run, k violationKind) {
	n := k.count(r)
	if n == nil {
		return
	}
	t.counts = append(t.counts, float64(*n))
	for _, v := range runSites(r, k) {
		st := t.site(v.Site)
		if st == nil {
			st = &siteTally{site: v.Site, function: v.Function}
			t.sites = append(t.sites, st)
		}
		st.counts = append(st.counts, float64(v.Count))
		st.bytes = append(st.bytes, float64(v.Bytes))
	}
}

// rose reports whether head made more calls of a kind than base, without
// statistics and without being fooled by the race between a producer and
// its sink that moves a naive program's count from run to run: either the
// base made none and the head some, or every head run made more than every
// base run (the median rose and the runs do not overlap).
func rose(base, head *kindTally) bool {
	if len(base.counts) == 0 || len(head.counts) == 0 {
		return false
	}
	if base.made() == 0 {
		return head.made() > 0
	}
	return slices.Min(head.counts) > slices.Max(base.counts)
}

// medianCount is the median of counts, rounded to a whole call.
func medianCount(v []float64) int64 {
	if len(v) == 0 {
		return 0
	}
	return int64(math.Round(median(v)))
}

// violationTallies tallies an input's violations by benchmark (as tables
// name it) and kind. A folder's come from its runs, with call sites; a
// results file's from its units, without.
func violationTallies(in *Input) (map[string]map[string]*kindTally, []string) {
	out := map[string]map[string]*kindTally{}
	var order []string
	get := func(bench, kind string) *kindTally {
		if out[bench] == nil {
			out[bench] = map[string]*kindTally{}
			order = append(order, bench)
		}
		if out[bench][kind] == nil {
			out[bench][kind] = &kindTally{}
		}
		return out[bench][kind]
	}
	if in.Set != nil {
		for i := range in.Set.Runs {
			r := &in.Set.Runs[i]
			if !r.Measured() {
				continue
			}
			for _, k := range violationKinds {
				if k.count(r) != nil {
					get(benchKey(r.Name), k.kind).add(r, k)
				}
			}
		}
		return out, order
	}
	for _, r := range in.Results {
		for _, k := range violationKinds {
			if v, ok := value(r, k.unit); ok {
				t := get(string(r.Name.Full()), k.kind)
				t.counts = append(t.counts, v)
				if v > 0 {
					st := t.site("")
					if st == nil {
						st = &siteTally{}
						t.sites = append(t.sites, st)
					}
					st.counts = append(st.counts, v)
					st.bytes = append(st.bytes, 0)
				}
			}
		}
	}
	return out, order
}

// siteNames names call sites for a reader: a file's base name and line
// ("lines.go:94"), or as many of its trailing path elements as tell it
// apart from another file of the same base name ("a/lines.go:94").
type siteNames map[string]string // site → file path

// namesOf collects the call sites of the runs of sets.
func namesOf(sets ...*results.Set) siteNames {
	n := siteNames{}
	for _, s := range sets {
		if s == nil {
			continue
		}
		for _, r := range s.Runs {
			for _, v := range r.Violations {
				n[v.Site] = sitePath(v.Site)
			}
		}
	}
	return n
}

// sitePath is site without its ":line".
func sitePath(site string) string {
	if i := strings.LastIndexByte(site, ':'); i >= 0 {
		if _, err := strconv.Atoi(site[i+1:]); err == nil {
			return site[:i]
		}
	}
	return site
}

// splitPath splits a file path or URL into its elements.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' })
}

// name is how a reader sees site.
func (n siteNames) name(site string) string {
	if site == "" {
		return "call site not recorded"
	}
	path := sitePath(site)
	elems := splitPath(path)
	if len(elems) == 0 {
		return site
	}
	line := strings.TrimPrefix(site, path)
	for k := 1; k < len(elems); k++ {
		suffix := elems[len(elems)-k:]
		clash := false
		for _, other := range n {
			oe := splitPath(other)
			clash = clash || other != path && len(oe) >= k && slices.Equal(oe[len(oe)-k:], suffix)
		}
		if !clash {
			return strings.Join(suffix, "/") + line
		}
	}
	return site
}

// sitesText names a tally's call sites, the largest first: "lines.go:94:
// 183,412 writes after write() returned false (35.0MiB) in 6 of 6 runs
// (median per run)". Counts are medians over the runs that made them at
// the site. A site absent from base is marked as new.
func sitesText(t *kindTally, k violationKind, runs int, names siteNames, base *kindTally) string {
	sites := slices.Clone(t.sites)
	slices.SortStableFunc(sites, func(a, b *siteTally) int { return cmp.Compare(medianCount(b.counts), medianCount(a.counts)) })
	var parts []string
	for i, st := range sites {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more call sites", len(sites)-3))
			break
		}
		s := fmt.Sprintf("%s: %s in %d of %d runs", names.name(st.site), k.describe(medianCount(st.counts), medianCount(st.bytes)), len(st.counts), runs)
		var notes []string
		if len(st.counts) > 1 {
			notes = append(notes, "median per run")
		}
		if base != nil && st.site != "" && base.site(st.site) == nil {
			notes = append(notes, "a new call site")
		}
		if len(notes) > 0 {
			s += " (" + strings.Join(notes, "; ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// isDrainVariant reports whether a benchmark (as tables name it) is the
// drain-aware variant of a workload.
func isDrainVariant(bench string) bool {
	return slices.Contains(strings.Split(bench, "/"), "variant=drain")
}

// violationFindings fails, per benchmark of head and kind, a drain-aware
// benchmark whose runs made any violation, and any benchmark whose count
// rose from base to head (see rose); it notes violations a benchmark without
// a variant still makes, and what could not be judged.
func violationFindings(base, head *Input, v *Verdict, fail func(Finding)) {
	bt, _ := violationTallies(base)
	ht, order := violationTallies(head)
	names := namesOf(base.Set, head.Set)
	var unjudged []string
	for _, bench := range order {
		for _, k := range violationKinds {
			h := ht[bench][k.kind]
			if h == nil {
				continue
			}
			var b *kindTally
			if bt[bench] != nil {
				b = bt[bench][k.kind]
			}
			hm := medianCount(h.counts)
			switch {
			case isDrainVariant(bench) && h.made() > 0:
				msg := sitesText(h, k, len(h.counts), names, b) + "; a drain-aware run must make none"
				if b != nil && b.made() == 0 {
					msg += " (the base made none)"
				}
				fail(Finding{Bench: bench, Kind: "backpressure", Unit: k.unit, Message: msg, Sites: h.siteList()})
			case b == nil:
				if bothHave(base, head, bench) {
					unjudged = append(unjudged, bench)
				}
			case rose(b, h):
				fail(Finding{Bench: bench, Kind: "backpressure", Unit: k.unit, Message: fmt.Sprintf("%s rose from %s to %s per run (median): %s",
					k.many, FormatCount(medianCount(b.counts)), FormatCount(hm), sitesText(h, k, len(h.counts), names, b)), Sites: h.siteList()})
			case h.made() > 0 && !isControl(bench) && !isDrainVariant(bench):
				v.Notes = append(v.Notes, fmt.Sprintf("%s still ignores backpressure, as in the base: %s", bench, sitesText(h, k, len(h.counts), names, b)))
			}
		}
	}
	for _, bench := range order {
		for _, k := range violationKinds {
			if bt[bench] != nil && bt[bench][k.kind] != nil && ht[bench][k.kind] == nil {
				unjudged = append(unjudged, bench)
			}
		}
	}
	if len(unjudged) > 0 {
		slices.Sort(unjudged)
		v.Notes = append(v.Notes, fmt.Sprintf("writes after false, pushes after false or extra drain listeners are reported on one side only, so their change was not judged: %s", joinList(slices.Compact(unjudged))))
	}
}

// Ignored is where the runs of a report ignored backpressure.
type Ignored struct {
	Sites    []IgnoredSite
	Reported bool // whether any run reported the counts at all (an external command without the Node preload reports none)
}

// IgnoredSite is one call site where runs ignored backpressure in one way,
// and what each workload, variant and side did there.
type IgnoredSite struct {
	Site     string // as a reader sees it, "lines.go:94" (see the gate), or "call site not recorded"
	Recorded string // as the probe recorded it; "" when it recorded none
	Function string // the function making the calls; "" when unknown
	What     string // "writes after write() returned false", ...
	Counts   []IgnoredCount
}

// IgnoredCount is what the runs of one workload, variant and side did at
// a call site.
type IgnoredCount struct {
	Workload string // the workload and its parameters (Group.Title)
	Variant  string
	Side     string // results.SideBase or results.SideHead; "" without sides
	Runs     int    // runs that made such calls here
	Of       int    // runs that reported the counts
	Count    int64  // calls per run, the median over Runs
	Bytes    int64  // what they added to the buffers per run, the median over Runs; 0 for drain listeners
}

// IgnoredSites lists the call sites where the runs of head (and of base,
// when given) ignored backpressure, in the order the workloads and
// variants first show them; at each site base's counts come before head's.
func IgnoredSites(base, head *results.Set) *Ignored {
	out := &Ignored{}
	names := namesOf(base, head)
	type side struct {
		name   string
		groups map[string]*Group
	}
	var sides []side
	var keys []*Group
	for _, s := range []struct {
		name string
		set  *results.Set
	}{{results.SideBase, base}, {results.SideHead, head}} {
		if s.set == nil {
			continue
		}
		sd := side{name: s.name, groups: map[string]*Group{}}
		for _, g := range GroupRuns(s.set) {
			sd.groups[g.Key] = g
			if !slices.ContainsFunc(keys, func(k *Group) bool { return k.Key == g.Key }) {
				keys = append(keys, g)
			}
		}
		sides = append(sides, sd)
	}
	if base == nil {
		sides[0].name = ""
	}
	bySite := map[[2]string]*IgnoredSite{}
	var order []*IgnoredSite
	for _, key := range keys {
		for _, sd := range sides {
			g := sd.groups[key.Key]
			if g == nil {
				continue
			}
			for _, v := range g.Variants {
				for _, k := range violationKinds {
					t := &kindTally{}
					for _, r := range g.Runs[v] {
						t.add(r, k)
					}
					out.Reported = out.Reported || len(t.counts) > 0
					for _, st := range t.sites {
						s := bySite[[2]string{k.kind, st.site}]
						if s == nil {
							s = &IgnoredSite{Site: names.name(st.site), Recorded: st.site, Function: st.function, What: k.many}
							bySite[[2]string{k.kind, st.site}] = s
							order = append(order, s)
						}
						s.Counts = append(s.Counts, IgnoredCount{Workload: g.Title, Variant: v, Side: sd.name, Runs: len(st.counts), Of: len(t.counts),
							Count: medianCount(st.counts), Bytes: medianCount(st.bytes)})
					}
				}
			}
		}
	}
	for _, s := range order {
		out.Sites = append(out.Sites, *s)
	}
	return out
}
