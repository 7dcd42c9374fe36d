package caps

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/cli"
)

// fakeRoot writes files (path → content, relative to the root) into a
// temporary folder the test removes, and returns it.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const meminfo24G = "MemTotal:       24683784 kB\nMemFree:        1000000 kB\nMemAvailable:   20000000 kB\n"

func TestReadMachineMemory(t *testing.T) {
	const mem = 24683784 << 10
	for _, tc := range []struct {
		name   string
		files  map[string]string
		want   int64
		source string
	}{
		{"meminfo alone", map[string]string{"proc/meminfo": meminfo24G}, mem, "MemTotal in /proc/meminfo"},
		{"v2, no limit", map[string]string{
			"proc/meminfo":     meminfo24G,
			"proc/self/cgroup": "0::/user.slice/bpbench\n",
			"sys/fs/cgroup/user.slice/bpbench/memory.max": "max\n",
		}, mem, "MemTotal in /proc/meminfo"},
		{"v2, own limit", map[string]string{
			"proc/meminfo":     meminfo24G,
			"proc/self/cgroup": "0::/user.slice/bpbench\n",
			"sys/fs/cgroup/user.slice/bpbench/memory.max": "2147483648\n",
		}, 2 << 30, "the memory cgroup limit in /sys/fs/cgroup/user.slice/bpbench/memory.max"},
		{"v2, an ancestor's limit is lower", map[string]string{
			"proc/meminfo":     meminfo24G,
			"proc/self/cgroup": "0::/user.slice/bpbench\n",
			"sys/fs/cgroup/user.slice/bpbench/memory.max": "2147483648\n",
			"sys/fs/cgroup/user.slice/memory.max":         "1073741824\n",
		}, 1 << 30, "the memory cgroup limit in /sys/fs/cgroup/user.slice/memory.max"},
		{"v2 in a container (cgroup namespace)", map[string]string{
			"proc/meminfo":             meminfo24G,
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "536870912\n",
		}, 512 << 20, "the memory cgroup limit in /sys/fs/cgroup/memory.max"},
		{"v1, unlimited (a huge number)", map[string]string{
			"proc/meminfo":     meminfo24G,
			"proc/self/cgroup": "5:devices:/\n4:memory:/process_api/abc\n0::/\n",
			"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": "9223372036854771712\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                 "9223372036854771712\n",
		}, mem, "MemTotal in /proc/meminfo"},
		{"v1, own limit; the hybrid v2 line is ignored", map[string]string{
			"proc/meminfo":     meminfo24G,
			"proc/self/cgroup": "4:memory:/docker/abc\n0::/\n",
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "4294967296\n",
			"sys/fs/cgroup/memory.max":                              "1024\n",
		}, 4 << 30, "the memory cgroup limit in /sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes"},
		{"v1 joined with other controllers, path from another namespace", map[string]string{
			"proc/meminfo":     meminfo24G,
			"proc/self/cgroup": "7:cpu,memory:/../host/x\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "3221225472\n",
		}, 3 << 30, "the memory cgroup limit in /sys/fs/cgroup/memory/memory.limit_in_bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMachineMemory(fakeRoot(t, tc.files))
			if err != nil || m.Bytes != tc.want || m.Source != tc.source {
				t.Errorf("got %d %q, %v; want %d %q", m.Bytes, m.Source, err, tc.want, tc.source)
			}
		})
	}
	if _, err := ReadMachineMemory(fakeRoot(t, map[string]string{"proc/meminfo": "MemFree: 1 kB\n"})); err == nil {
		t.Error("a meminfo without MemTotal: no error")
	}
	if _, err := ReadMachineMemory(t.TempDir()); err == nil {
		t.Error("no meminfo: no error")
	}
}

// A hard cap above the machine's memory (24GiB here, or the cgroup's 2GiB)
// is refused, naming the flag that set it; one the machine can reach is not.
func TestConfigRefusesCapsAboveTheMachine(t *testing.T) {
	machine := fakeRoot(t, map[string]string{"proc/meminfo": meminfo24G})
	cgroup := fakeRoot(t, map[string]string{
		"proc/meminfo": meminfo24G, "proc/self/cgroup": "0::/ci\n", "sys/fs/cgroup/ci/memory.max": "2147483648\n",
	})
	for _, tc := range []struct {
		root, args, want string // want "" = accepted
	}{
		{machine, "--memlimit 1TiB", "--memlimit 1TiB is above the memory this machine gives bpbench (23.5GiB: MemTotal in /proc/meminfo): a cap that cannot fire is not a cap"},
		{machine, "--memlimit 1TiB --hard-limit 1TiB", "--hard-limit 1TiB is above the memory this machine gives bpbench (23.5GiB: MemTotal in /proc/meminfo)"},
		{machine, "--memlimit 0 --hard-limit 30GiB", "--hard-limit 30GiB is above the memory this machine gives bpbench"},
		{machine, "--memlimit 20GiB", "--memlimit 20GiB: its hard limit, 25.0GiB (1.25 × memlimit), is above the memory this machine gives bpbench (23.5GiB: MemTotal in /proc/meminfo): a cap that cannot fire is not a cap, and every run would be recorded as capped; give a --hard-limit of at most 23.5GiB explicitly"},
		{machine, "--memlimit 20GiB --hard-limit 22GiB", ""},
		{machine, "--memlimit 16GiB", ""},
		{machine, "--memlimit 0", ""},
		{cgroup, "--memlimit 4GiB", "--memlimit 4GiB is above the memory this machine gives bpbench (2.0GiB: the memory cgroup limit in /sys/fs/cgroup/ci/memory.max)"},
		{cgroup, "--memlimit 1GiB", ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := Add(fs, Options{MachineRoot: tc.root})
		if err := fs.Parse(strings.Fields(tc.args)); err != nil {
			t.Fatal(err)
		}
		_, err := f.Config()
		var ue *cli.UsageError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.args, err)
		case tc.want != "" && (!errors.As(err, &ue) || !errors.Is(err, ErrCapAboveMachine) || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: got %v\nwant a *cli.UsageError wrapping ErrCapAboveMachine starting %q", tc.args, err, tc.want)
		}
	}
}
