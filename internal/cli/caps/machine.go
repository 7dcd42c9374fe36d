package caps

import (
	"fmt"

	"github.com/bpbench/bpbench/internal/size"
)

// MachineMemory is the most memory bpbench's children can have: the
// machine's physical memory, or less when bpbench runs inside a memory
// cgroup with a lower limit (a container's, a systemd slice's). A hard cap
// above it never fires: the kernel runs out first.
type MachineMemory struct {
	Bytes  int64  // the limit; 0 when it could not be read
	Source string // where it was read, for messages: "MemTotal in /proc/meminfo", "the memory cgroup limit in /sys/fs/cgroup/…/memory.max"
}

func (m MachineMemory) String() string {
	return fmt.Sprintf("%s: %s", size.Human(m.Bytes), m.Source)
}
