package caps

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadMachineMemory reads the memory bpbench's children can have below
// root ("" is "/"; tests give a folder holding proc/ and sys/fs/cgroup/):
// MemTotal in proc/meminfo, lowered by the memory limit of bpbench's own
// cgroup or any cgroup above it, as proc/self/cgroup names it — cgroup v2's
// memory.max, or cgroup v1's memory.limit_in_bytes in the memory
// hierarchy. A cgroup file that is missing or says "max" sets no limit; an
// unreadable meminfo is an error.
func ReadMachineMemory(root string) (MachineMemory, error) {
	if root == "" {
		root = "/"
	}
	b, err := os.ReadFile(filepath.Join(root, "proc/meminfo"))
	if err != nil {
		return MachineMemory{}, err
	}
	m := MachineMemory{Bytes: memTotalBytes(b), Source: "MemTotal in /proc/meminfo"}
	if m.Bytes == 0 {
		return MachineMemory{}, errors.New("/proc/meminfo has no MemTotal line in kB")
	}
	own, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return m, nil // no cgroups: the machine's memory is the limit
	}
	for _, c := range limitFiles(own) {
		// The cgroup's own limit and every ancestor's apply. A cgroup
		// path that is not below the mount (another namespace's) counts
		// from the mount.
		dir := c.dir
		if !strings.HasPrefix(dir+"/", c.mount+"/") {
			dir = c.mount
		}
		for {
			file := path.Join(dir, c.file)
			if n, ok := cgroupLimit(filepath.Join(root, filepath.FromSlash(file))); ok && n < m.Bytes {
				m = MachineMemory{Bytes: n, Source: "the memory cgroup limit in /" + file}
			}
			if dir == c.mount {
				break
			}
			dir = path.Dir(dir)
		}
	}
	return m, nil
}

// memTotalBytes is /proc/meminfo's MemTotal in bytes; 0 if absent.
func memTotalBytes(meminfo []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), ":")
		kb, ok := strings.CutSuffix(strings.TrimSpace(rest), " kB")
		if name != "MemTotal" || !ok {
			continue
		}
		if n, err := strconv.ParseInt(kb, 10, 64); err == nil && n > 0 {
			return n << 10
		}
	}
	return 0
}

// limitFile is where one hierarchy keeps the memory limit of bpbench's
// cgroup: mount is the hierarchy's root, dir the cgroup's folder below
// it (slash-separated, relative to the file system root).
type limitFile struct{ mount, dir, file string }

// limitFiles reads /proc/self/cgroup: the v1 memory hierarchy's line
// ("4:memory:/a/b") and the v2 line ("0::/a/b"). Where both are there
// (a hybrid system), v2 has no memory controller and its line is ignored.
func limitFiles(procCgroup []byte) []limitFile {
	var v1, v2 []limitFile
	for _, line := range strings.Split(string(procCgroup), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			v2 = append(v2, limitFile{"sys/fs/cgroup", path.Join("sys/fs/cgroup", f[2]), "memory.max"})
		case hasController(f[1], "memory"):
			v1 = append(v1, limitFile{"sys/fs/cgroup/memory", path.Join("sys/fs/cgroup/memory", f[2]), "memory.limit_in_bytes"})
		}
	}
	if len(v1) > 0 {
		return v1
	}
	return v2
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// cgroupLimit reads a memory.max or memory.limit_in_bytes file: a number
// of bytes, or "max" (no limit; v1 writes a huge number instead).
func cgroupLimit(file string) (int64, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n > 0
}
