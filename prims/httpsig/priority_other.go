//go:build !linux

package httpsig

// lowerPriority does nothing outside Linux: the signer process then keeps
// to half the cores (signerThreads) at normal priority.
func lowerPriority() {}
