//go:build !race

package streamcore

const raceEnabled = false
