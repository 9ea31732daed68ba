//go:build !unix

package host

import "net"

// WrapListener returns ln: reading ahead (readahead.go) needs a Unix
// socket's raw reads.
func WrapListener(ln net.Listener) net.Listener { return ln }
