// Package chart draws bpbench's figures with gonum/plot and writes them as
// chart files: memory over time per workload (MemoryFigures), peak RSS,
// time to OOM and throughput across workloads (SummaryFigures), and the
// highWaterMark trade-off of a tune sweep (Tune). Every figure is 16:9,
// for a slide, in SVG or PNG; WriteFiles writes them, each file whole or
// not at all.
//
// The numbers come from package reports; chart only draws them, so that
// reports, and every program that uses only its decisions and tables,
// does without gonum/plot.
package chart
