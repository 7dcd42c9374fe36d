// Command bpbench is a memory-safety benchmark and regression harness for
// stream backpressure.
package main
