// Package machine reads the facts about this machine that a result set
// records (results.Machine): cores, memory, kernel, the Go and Node
// versions, and the load average when a suite starts. A reader compares
// two sets with them and the report shows them.
//
// It reports only what it read: a fact it cannot read stays zero, and
// the cap mechanism is left to the harness, which knows which one it used.
// On Linux it reads /proc; elsewhere memory, kernel and load average are
// not supported and stay zero.
package machine
