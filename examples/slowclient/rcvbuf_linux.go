package main

import "syscall"

// setRcvbuf asks the kernel for a small receive buffer on the socket before
// it connects (so the window the client advertises starts small), so that
// the kernel does not absorb the backlog the client is meant to leave with
// the server.
func setRcvbuf(c syscall.RawConn, n int) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
	})
	if err != nil {
		return err
	}
	return serr
}
