package history

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestMigrateSummaries: a history written at schema 1 (runs and values,
// no summaries) is brought to schema 2 by Open, and its series read the
// same as those of the summaries Add writes.
func TestMigrateSummaries(t *testing.T) {
	ctx := context.Background()
	h, path := openTemp(t)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, rss := range []float64{4, 4.01, 4.5, 4.49} {
		set := resultSet("c"+string(rune('a'+i)), 3, rss, i%2)
		m := Meta{CommitTime: t0.Add(time.Duration(i) * time.Hour), Branch: "main"}
		if i == 3 {
			m.Machine.Cores = 8 // another machine: its own series
		}
		if _, err := h.Add(ctx, set, m); err != nil {
			t.Fatal(err)
		}
	}
	want, err := h.Query(ctx, QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || len(want[0].Points) == 0 {
		t.Fatalf("nothing read back: %+v", want)
	}
	// Back to schema 1, as an older bpbench wrote it.
	for _, q := range []string{`DROP TABLE set_summaries`, `UPDATE schema_version SET version = 1`} {
		if _, err := h.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	h.Close()

	h2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if v := versionOf(t, h2); v != SchemaVersion || SchemaVersion != 2 {
		t.Fatalf("schema version %d after Open; want 2", v)
	}
	got, err := h2.Query(ctx, QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("series after the migration differ from those Add wrote:\ngot  %+v\nwant %+v", got, want)
	}
	// The migrated history takes new sets.
	if _, err := h2.Add(ctx, resultSet("ce", 3, 4.5, 0), Meta{CommitTime: t0.Add(5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func versionOf(t *testing.T, h *History) int {
	t.Helper()
	var v int
	if err := h.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSummaryRoundTrip(t *testing.T) {
	s := newSummary()
	s.add(2, 1, 5)
	s.add(1, 3, 1)
	s.add(2, 1, 3)
	s.add(2, 1, 4)
	s.add(1, 3, 0)
	b := s.encode(func(u int64) bool { return u == 3 })
	type entry struct {
		bench, unit int64
		value       float64
		runs        []float64
	}
	var got []entry
	if err := decodeSummary(b, func(bench, unit int64, value float64, runs []float64) {
		got = append(got, entry{bench, unit, value, runs})
	}); err != nil {
		t.Fatal(err)
	}
	want := []entry{{1, 3, 0.5, []float64{1, 0}}, {2, 1, 4, []float64{5, 3, 4}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v; want %+v", got, want)
	}
	for _, bad := range [][]byte{nil, {9}, b[:len(b)-1], append(b[:len(b):len(b)], 0)} {
		if err := decodeSummary(bad, func(int64, int64, float64, []float64) {}); !errors.Is(err, errSummary) {
			t.Errorf("decodeSummary(%x) = %v; want errSummary", bad, err)
		}
	}
}
