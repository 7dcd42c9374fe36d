package workloads

// All returns the registry, in the order bpbench list and the default suite
// use. It is an explicit list: adding a workload means adding it here.
func All() []*Workload {
	return []*Workload{
		millionLineWriter(),
		tightLoop5M(),
		gzipPipeline(),
		slowConsumer(),
		nodeWriteWithBackpressure(),
		nodeIgnoreBackpressure(),
	}
}
