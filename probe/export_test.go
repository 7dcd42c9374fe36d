package probe

import "os"

// NewTestProbe is a Probe writing to f, as Start makes one, for the
// external tests (a caller in package probe is not a program's line).
func NewTestProbe(f *os.File) *Probe { return newProbe(f) }

// Send writes one line now: kind 's' or 'f'.
func (p *Probe) Send(kind byte, err error) { p.send(kind, err) }
