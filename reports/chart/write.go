package chart

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpbench/bpbench/internal/atomicfile"
	"github.com/bpbench/bpbench/internal/results"
)

// Dir is the folder of an output folder that holds its chart files.
const Dir = "plots"

// WriteFiles renders figs in format (svg or png) and writes each to
// dir/NAME.FORMAT, creating dir if needed: for a folder of the user's
// choosing (bpbench plot --out); an output folder's own charts go through
// WriteOwned. Each file is written whole or
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

// Files renders figs in format (svg or png) as the files of an output
// folder's Dir, named "plots/NAME.FORMAT", for results.WriteReport.
func Files(figs []*Figure, format string) ([]results.File, error) {
	files := make([]results.File, 0, len(figs))
	for _, f := range figs {
		var buf bytes.Buffer
		if err := f.Render(&buf, format); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		files = append(files, results.File{Name: Dir + "/" + f.Name + "." + format, Data: buf.Bytes()})
	}
	return files, nil
}

// WriteOwned renders figs into the output folder out's Dir and owns them
// in its manifest (results.WriteReport: nothing of anyone else's is
// overwritten, no symbolic link is followed). It returns the paths
// written, in figs' order; on an error nothing is written.
func WriteOwned(out string, figs []*Figure, format string) ([]string, error) {
	files, err := Files(figs, format)
	if err != nil {
		return nil, err
	}
	if err := results.WriteReport(out, files...); err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(out, filepath.FromSlash(f.Name))
	}
	return paths, nil
}
