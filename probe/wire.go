package probe

import (
	"strconv"
	"unicode/utf8"
)

// Bounds on the quoted values of a line, in bytes of quoted text, chosen
// so that a whole line (about 300 bytes of numbers, three call sites and
// an error) stays below PIPE_BUF (4096 on Linux) and is written
// atomically.
const (
	maxQuotedFile = 384  // a call site's file; its end is kept
	maxQuotedFunc = 192  // a call site's function; its start is kept
	maxQuotedErr  = 1536 // the final line's error; its start is kept
	maxLine       = 4000 // what the bounds above add up to, at most
)

// ellipsis marks a value cut to fit its bound.
const ellipsis = "…"

// appendQuoted appends s quoted as by strconv.Quote, so that no space,
// quote, newline or other byte of s can end the value or the line early,
// cut to at most limit bytes of quoted text: the start of s is kept, or
// its end when keepTail (a path's file name matters more than its first
// directories), and the cut is marked with "…". It allocates nothing
// beyond b's growth.
func appendQuoted(b []byte, s string, limit int, keepTail bool) []byte {
	start := len(b)
	b = strconv.AppendQuote(b, s)
	if len(b)-start <= limit {
		return b
	}
	b = b[:start]
	budget := limit - 2 - len(ellipsis) // the quotes and the mark
	var one [16]byte                    // one quoted rune: at most `"\U0010ffff"`
	if !keepTail {
		n := 0 // bytes of s kept
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			w := len(strconv.AppendQuote(one[:0], s[n:n+size])) - 2
			if budget < w {
				break
			}
			budget -= w
			n += size
		}
		b = strconv.AppendQuote(b, s[:n])
		b = append(b[:len(b)-1], ellipsis+`"`...)
		return b
	}
	k := len(s) // s[k:] is kept
	for k > 0 {
		_, size := utf8.DecodeLastRuneInString(s[:k])
		w := len(strconv.AppendQuote(one[:0], s[k-size:k])) - 2
		if budget < w {
			break
		}
		budget -= w
		k -= size
	}
	b = append(b, `"`+ellipsis...)
	b = strconv.AppendQuote(b, s[k:])
	q := start + 1 + len(ellipsis) // the quote AppendQuote opened with
	return append(b[:q], b[q+1:]...)
}

// quotedSite caches a call site's quoted text: sites are set once and
// then written at every interval, so they are quoted once.
type quotedSite struct {
	site CallSite
	text []byte // ` KEYfile="…" KEYline=N KEYfunc="…"`
}

// append appends the site's keys (prefix "waf" gives waffile, wafline,
// waffunc), or nothing for the zero CallSite.
func (q *quotedSite) append(b []byte, prefix string, site CallSite) []byte {
	if site.IsZero() {
		return b
	}
	if site != q.site || q.text == nil {
		t := append(q.text[:0], ' ')
		t = append(t, prefix...)
		t = append(t, "file="...)
		t = appendQuoted(t, site.File, maxQuotedFile, true)
		t = append(t, ' ')
		t = append(t, prefix...)
		t = append(t, "line="...)
		t = strconv.AppendInt(t, int64(site.Line), 10)
		t = append(t, ' ')
		t = append(t, prefix...)
		t = append(t, "func="...)
		t = appendQuoted(t, site.Function, maxQuotedFunc, false)
		q.site, q.text = site, t
	}
	return append(b, q.text...)
}
