//go:build !bpbench_inject

package child

import "github.com/bpbench/bpbench/workloads"

// injectFault is a no-op in the product; see inject_on.go.
func injectFault(*workloads.Variant, *workloads.Params) (stop func()) { return func() {} }
