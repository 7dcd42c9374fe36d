package scripts

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// yamlKeys returns the keys of the mapping under the top-level key top of
// a YAML file indented by two spaces, in order (a line "  key:" under
// "top:").
func yamlKeys(text, top string) []string {
	var keys []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, top+":"):
			in = true
		case in && line != "" && !strings.HasPrefix(line, " "):
			in = false
		case in:
			if m := regexp.MustCompile(`^  ([a-z][a-z-]*):\s*$`).FindStringSubmatch(line); m != nil {
				keys = append(keys, m[1])
			}
		}
	}
	return keys
}

// action.yml as GitHub reads it and as action-gate.sh needs it: actionlint
// checks its runs.using and the inputs a workflow passes (through
// bench-gate.yml's uses: ./), not the composite steps; this test checks
// that every input is described, reaches the script as INPUT_*, and is in
// the README, that both outputs come from the script, and that bpbench is
// built from the action's own source.
func TestActionMetadata(t *testing.T) {
	b, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	action := string(b)
	script, _ := os.ReadFile("action-gate.sh")
	readme, _ := os.ReadFile("../README.md")

	for _, key := range []string{"name", "description", "inputs", "outputs", "runs"} {
		if !regexp.MustCompile(`(?m)^` + key + `:`).MatchString(action) {
			t.Errorf("action.yml has no top-level %s", key)
		}
	}
	if !strings.Contains(action, "\n  using: composite\n") {
		t.Error("action.yml: runs.using is not composite")
	}
	inputs := yamlKeys(action, "inputs")
	want := []string{"command", "build", "base-ref", "name", "count", "memlimit", "hard-limit", "thresholds", "working-directory"}
	for _, in := range want {
		if !slices.Contains(inputs, in) {
			t.Errorf("action.yml has no input %s (it has %v)", in, inputs)
		}
	}
	for _, in := range inputs {
		if !regexp.MustCompile(`(?m)^  ` + in + `:\n    description: \S`).MatchString(action) {
			t.Errorf("input %s has no description (first under it)", in)
		}
		if !strings.Contains(string(readme), "`"+in+"`") {
			t.Errorf("README.md does not document the input %s", in)
		}
		if in == "artifact-name" {
			if !strings.Contains(action, "name: ${{ inputs.artifact-name }}") {
				t.Error("the artifact-name input is not the uploaded artifact's name")
			}
			continue
		}
		env := "INPUT_" + strings.ToUpper(strings.ReplaceAll(in, "-", "_"))
		if !strings.Contains(action, "        "+env+": ${{ inputs."+in+" }}\n") {
			t.Errorf("action.yml does not pass the input %s to the script as %s", in, env)
		}
		if !strings.Contains(string(script), env) {
			t.Errorf("action-gate.sh does not read %s", env)
		}
	}
	for _, out := range []string{"verdict", "report-path"} {
		if !slices.Contains(yamlKeys(action, "outputs"), out) {
			t.Errorf("action.yml has no output %s", out)
		}
		if !strings.Contains(action, "value: ${{ steps.gate.outputs."+out+" }}") {
			t.Errorf("the output %s is not the gate step's", out)
		}
		if !strings.Contains(string(script), "output "+out+" ") {
			t.Errorf("action-gate.sh never writes the output %s", out)
		}
	}
	// bpbench comes from the action's own source, never a module proxy.
	for _, s := range []string{
		"go-version-file: ${{ github.action_path }}/go.mod",
		"working-directory: ${{ github.action_path }}",
		`run: bash "$ACTION_PATH/scripts/action-gate.sh"`,
	} {
		if !strings.Contains(action, s) {
			t.Errorf("action.yml lacks %q", s)
		}
	}
	if strings.Contains(action, "@latest") || strings.Contains(action, "go install") {
		t.Error("action.yml installs something with go install: build from github.action_path instead")
	}
}
