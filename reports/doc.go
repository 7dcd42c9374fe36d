// Package reports turns measured runs into decisions and tables: the run
// summary table, benchstat-style comparisons (compare), the regression gate
// (gate) with its memory-growth check, the analysis of a highWaterMark
// sweep (tune) and the findings a report opens with, rendered as text,
// Markdown, CSV or JSON. It draws nothing: package reports/chart draws the
// figures and package reports/page assembles report.html and report.md.
// It reads output folders through package internal/results and never
// imports the harness, so it works the same on a folder measured on
// another machine, on a results.txt file, or on plain go test -bench
// output.
//
// Every statistic comes from golang.org/x/perf: benchfmt reads the results,
// benchproc groups them (a row is a benchmark's full name without the
// column key), benchmath summarizes each cell (median and its confidence
// interval, assuming nothing about the distribution) and compares two
// cells (Mann-Whitney U), benchunit scales the numbers. The fit that
// decides whether memory stayed flat is gonum's stat.LinearRegression.
package reports
