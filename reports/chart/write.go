package chart

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpbench/bpbench/reports/internal/atomicfile"
)

// Dir is the folder of an output folder that holds its chart files.
const Dir = "plots"

// WriteFiles renders figs in format (svg or png) and writes each to
// dir/NAME.FORMAT, creating dir if needed. Each file is written whole or
// not at all (a temporary file renamed into place, no symbolic link
// followed). It returns the files written, in figs' order, up to the first
// error.
func WriteFiles(dir string, figs []*Figure, format string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	var files []string
	for _, f := range figs {
		var buf bytes.Buffer
		if err := f.Render(&buf, format); err != nil {
			return files, fmt.Errorf("%s: %w", f.Name, err)
		}
		p := filepath.Join(dir, f.Name+"."+format)
		if err := atomicfile.Write(p, buf.Bytes()); err != nil {
			return files, err
		}
		files = append(files, p)
	}
	return files, nil
}
