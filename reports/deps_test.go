package reports

import (
	"os/exec"
	"strings"
	"testing"
)

// reports holds decisions and text renderers; the charts and their
// gonum/plot stay in package reports/chart, so that nothing which only
// needs a verdict or a table links a plotting library.
func TestNoPlotImport(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the imports with")
	}
	out, err := exec.Command(gotool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "gonum.org/v1/plot" || strings.HasPrefix(dep, "gonum.org/v1/plot/") {
			t.Errorf("package reports imports %s: draw charts in package reports/chart", dep)
		}
	}
}
