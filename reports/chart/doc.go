// Package chart draws bpbench's figures with gonum/plot and writes them as
// chart files: memory against time and against bytes written per workload,
// base and head on the same axes when there are both, every run drawn and
// every kill marked (MemoryFigures, CompareMemoryFigures), peak RSS,
// time to OOM and throughput across workloads (SummaryFigures), and the
// highWaterMark trade-off of a tune sweep (Tune). Every figure is 16:9,
// for a slide, in SVG or PNG; WriteFiles writes them, each file whole or
// not at all.
//
// The numbers come from package reports; chart only draws them, so that
// reports, and every program that uses only its decisions and tables,
// does without gonum/plot.
package chart
