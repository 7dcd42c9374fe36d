// Package page assembles the report of an output folder: report.html, one
// file with its charts inline (no script, no network), and report.md, for
// a pull request comment or a job summary, with the chart files of package
// chart beside it in plots/. The verdict, findings, summary and tables come
// from package reports; page lays them out and escapes what users wrote.
package page
