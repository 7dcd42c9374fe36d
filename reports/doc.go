// Package reports turns measured runs into decisions and pictures: the run
// summary table, benchstat-style comparisons (compare), the regression gate
// (gate) and, in time, plots and the one-file report. It reads output
// folders through package internal/results and never imports the harness,
// so it works the same on a folder measured on another machine, on a
// results.txt file, or on plain go test -bench output.
//
// Every statistic comes from golang.org/x/perf: benchfmt reads the results,
// benchproc groups them (a row is a benchmark's full name without the
// column key), benchmath summarizes each cell (median and its confidence
// interval, assuming nothing about the distribution) and compares two
// cells (Mann-Whitney U), benchunit scales the numbers. The fit that
// decides whether memory stayed flat is gonum's stat.LinearRegression.
package reports
