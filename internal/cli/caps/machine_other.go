//go:build !linux

package caps

import (
	"fmt"
	"runtime"
)

// ReadMachineMemory is not supported outside Linux: it returns an error,
// and the caps are not checked against the machine's memory.
func ReadMachineMemory(root string) (MachineMemory, error) {
	return MachineMemory{}, fmt.Errorf("reading the machine's memory is not supported on %s", runtime.GOOS)
}
