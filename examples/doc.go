// Package examples holds the programs bpbench's documentation runs as a
// server under load (see README.md): node-http/server.js and go-http, each
// streaming a large response either ignoring backpressure (naive) or
// honouring it (drain), and slowclient, the slow reader that makes the
// difference show. This package has no code of its own: its tests build the
// programs and check that, under the slow client, each naive server's
// memory grows and each drain server's stays flat, and that bpbench run and
// bpbench gate judge the Node pair so.
package examples
