//go:build race

package streamcore

// raceEnabled: the race detector slows a producer past the spin's 100µs.
const raceEnabled = true
