// Package scripts holds the tests of the repository's scripts and of the
// GitHub Action at its root (action.yml), which runs action-gate.sh.
package scripts

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// benchstatVersion is the x/perf of go.mod: the stock benchstat the
// manual's command is tested with.
const benchstatVersion = "golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// bpbench builds bpbench and its lean child once for the package's tests,
// as action.yml does, and returns bpbench's path.
func bpbench(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "bpbench-action-test-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+"/", "../cmd/bpbench", "../cmd/bpbench-workload").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "bpbench")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "building bpbench: " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// git runs git in dir with a fixed identity and no user configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	c := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	c.Dir = dir
	c.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// userRepo makes the repository of testdata/userrepo.txtar with git: main
// (the fixed code), go-bug and node-bug (a commit on main that makes the
// Go program, or the Node script, ignore backpressure) and same (a commit
// on main that changes only the README).
func userRepo(t *testing.T) string {
	t.Helper()
	ar, err := txtar.ParseFile("testdata/userrepo.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	buggy := map[string][]byte{}
	for _, f := range ar.Files {
		if name, ok := strings.CutPrefix(f.Name, "buggy/"); ok {
			buggy[name] = f.Data
			continue
		}
		write(t, filepath.Join(dir, f.Name), f.Data)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "fixed")
	branch := func(name, msg string, files map[string][]byte) {
		git(t, dir, "checkout", "-q", "-b", name, "main")
		for f, data := range files {
			write(t, filepath.Join(dir, f), data)
		}
		git(t, dir, "commit", "-q", "-a", "-m", msg)
	}
	branch("go-bug", "the server no longer waits for its writer", map[string][]byte{"server/main.go": buggy["server/main.go"]})
	branch("node-bug", "the script ignores write()'s false", map[string][]byte{"web/app.js": buggy["web/app.js"]})
	branch("same", "README only", map[string][]byte{"README.md": []byte("Reworded.\n")})
	return dir
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// actionEnv is the environment action.yml gives action-gate.sh: this
// process's, without anything of a GitHub job it may run in, and the
// inputs.
func actionEnv(inputs map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "INPUT_") && !strings.HasPrefix(kv, "RUNNER_") {
			env = append(env, kv)
		}
	}
	for k, v := range inputs {
		env = append(env, k+"="+v)
	}
	return env
}

// readOutputs reads a $GITHUB_OUTPUT file of name=value lines.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out
}

// The action's script, run as the action runs it, fails a head that
// ignores backpressure with reasons naming the metrics, passes a head
// whose code is the base's, and writes the job summary, the outputs and
// the report, for a Go program built at each side and a Node script.
func TestActionGate(t *testing.T) {
	for _, tool := range []string{"git", "go", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	bin := bpbench(t)
	repo := userRepo(t)
	script, _ := filepath.Abs("action-gate.sh")
	for _, tc := range []struct {
		name, head, dir, command, build string
		node                            bool
		code                            int
		verdict                         string
		want                            []string // regexps the script's output must match
	}{
		{"go regression", "go-bug", "server", "./prog", "go build -o prog .", false, 1, "regression",
			[]string{`REGRESSION`, `FAIL Cmd/name=server: peak-RSS-B: `}},
		{"go same", "same", "server", "./prog", "go build -o prog .", false, 0, "pass",
			[]string{`PASS: no regression in head against base \(1 benchmarks compared\)`}},
		{"node regression", "node-bug", "web", "node app.js", "", true, 1, "regression",
			[]string{`REGRESSION`, `FAIL Cmd/name=node-app.js: max-buffered-B: `}},
		{"node same", "same", "web", "node app.js", "", true, 0, "pass",
			[]string{`PASS: no regression in head against base \(1 benchmarks compared\)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath("node"); tc.node && err != nil {
				t.Skip("node is not on PATH")
			}
			git(t, repo, "checkout", "-q", tc.head)
			tmp := t.TempDir()
			summary, outputs := filepath.Join(tmp, "summary.md"), filepath.Join(tmp, "outputs")
			inputs := map[string]string{
				"BPBENCH":                 bin,
				"INPUT_COMMAND":           tc.command,
				"INPUT_BUILD":             tc.build,
				"INPUT_BASE_REF":          "main",
				"INPUT_COUNT":             "4",
				"INPUT_MEMLIMIT":          "96MiB",
				"INPUT_THRESHOLDS":        "sec/op=100%", // the memory verdicts are what this test is about
				"INPUT_WORKING_DIRECTORY": tc.dir,
				"INPUT_SUDO":              "false",
				"INPUT_OUT":               filepath.Join(tmp, "out"),
				"INPUT_RUN_ARGS":          "--timeout 30s",
				"GITHUB_STEP_SUMMARY":     summary,
				"GITHUB_OUTPUT":           outputs,
			}
			if tc.name == "go regression" {
				inputs["INPUT_NAME"] = "server" // else prog, from the command
			}
			c := exec.Command("bash", script)
			c.Dir = repo
			c.Env = actionEnv(inputs)
			b, err := c.CombinedOutput()
			out := string(b)
			if code := c.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit %d (%v), want %d:\n%s", code, err, tc.code, out)
			}
			for _, re := range tc.want {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("the output does not match %q:\n%s", re, out)
				}
			}
			o := readOutputs(t, outputs)
			if o["verdict"] != tc.verdict {
				t.Errorf("output verdict=%q, want %q", o["verdict"], tc.verdict)
			}
			if fi, err := os.Stat(o["report-path"]); err != nil || fi.Size() == 0 {
				t.Errorf("output report-path=%q: %v", o["report-path"], err)
			}
			if o["out-dir"] != filepath.Join(tmp, "out") {
				t.Errorf("output out-dir=%q, want %s", o["out-dir"], filepath.Join(tmp, "out"))
			}
			s, _ := os.ReadFile(summary)
			heading := map[string]string{"pass": "### ✅ bpbench gate: PASS", "regression": "### ❌ bpbench gate: REGRESSION"}[tc.verdict]
			if !strings.HasPrefix(string(s), heading) {
				t.Errorf("the job summary does not open with %q:\n%s", heading, s)
			}
			// The base's worktree is gone; the head's checkout is as it was.
			if wt := git(t, repo, "worktree", "list"); strings.Count(wt, "\n") != 0 {
				t.Errorf("a worktree was left behind:\n%s", wt)
			}
			if st := git(t, repo, "status", "--porcelain"); st != "" {
				t.Errorf("the checkout changed:\n%s", st)
			}
		})
	}
}

// A bad input is refused with exit 2, naming it, before anything runs.
func TestActionGateRefuses(t *testing.T) {
	bin := bpbench(t)
	repo := userRepo(t)
	script, _ := filepath.Abs("action-gate.sh")
	for _, tc := range []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"INPUT_COMMAND": " "}, "the command input is empty"},
		{map[string]string{"INPUT_COMMAND": "true"}, "no base-ref: this is not a pull request"},
		{map[string]string{"INPUT_COMMAND": "true", "INPUT_BASE_REF": "nope"}, "base-ref nope is not a commit here"},
		{map[string]string{"INPUT_COMMAND": "true", "INPUT_BASE_REF": "main", "INPUT_WORKING_DIRECTORY": "missing"}, "working-directory missing: no such folder"},
		{map[string]string{"INPUT_COMMAND": "true", "INPUT_BASE_REF": "main", "INPUT_SUDO": "maybe"}, "sudo: maybe is not auto, true or false"},
	} {
		tmp := t.TempDir()
		tc.inputs["BPBENCH"] = bin
		tc.inputs["GITHUB_OUTPUT"] = filepath.Join(tmp, "outputs")
		tc.inputs["INPUT_OUT"] = filepath.Join(tmp, "out")
		c := exec.Command("bash", script)
		c.Dir = repo
		c.Env = actionEnv(tc.inputs)
		b, _ := c.CombinedOutput()
		if code := c.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s", tc.inputs, code, tc.want, b)
		}
		if o := readOutputs(t, tc.inputs["GITHUB_OUTPUT"]); o["verdict"] != "error" {
			t.Errorf("%v: verdict=%q, want error", tc.inputs, o["verdict"])
		}
	}
}

// The manual's benchstat command for a base/head folder, run with stock
// benchstat (the x/perf of go.mod, through go run), puts base and head in
// one table with the change between them.
func TestBenchstatSides(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stock benchstat through go run")
	}
	bin := bpbench(t)
	dir := t.TempDir()
	for _, side := range []string{"base", "head"} {
		write(t, filepath.Join(dir, side, "prog"), []byte("#!/bin/sh\nexec sleep 0.05\n"))
		os.Chmod(filepath.Join(dir, side, "prog"), 0o755)
	}
	c := exec.Command(bin, "run", "--cmd", "./prog", "--baseline-dir", "../base", "--baseline-commit", "abc123", "--count", "6", "--warmup=false", "--out", "../out")
	c.Dir = filepath.Join(dir, "head")
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("bpbench run: %v\n%s", err, b)
	}
	results := filepath.Join(dir, "out", "results.txt")
	// The command the manual gives (cmd/bpbench/doc.go, README.md).
	args := []string{"run", benchstatVersion, "-col", "side", "-ignore", "commit", results}
	b, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	out := string(b)
	for _, re := range []string{`│ +base +│ +head +│`, `vs base`, `Cmd/name=prog +\S+ ± \S+ +\S+ ± \S+ +(~|[+-]\d+\.\d+%) +\(p=\d\.\d+ n=6\)`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("benchstat -col side -ignore commit: no %q in:\n%s", re, out)
		}
	}
	for _, doc := range []string{"../cmd/bpbench/doc.go", "../README.md"} {
		b, _ := os.ReadFile(doc)
		if !strings.Contains(string(b), "benchstat -col side -ignore commit results.txt") {
			t.Errorf("%s does not give the command tested here: benchstat -col side -ignore commit results.txt", doc)
		}
	}
	// Without -ignore commit the sides' commits split the tables: no deltas.
	b, _ = exec.Command("go", slices.Delete(slices.Clone(args), 4, 6)...).CombinedOutput()
	if strings.Contains(string(b), "vs base") {
		t.Logf("stock benchstat now pairs the sides without -ignore commit; the manual can drop it:\n%s", b)
	}
}
