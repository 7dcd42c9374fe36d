//go:build !linux

package main

import "syscall"

// setRcvbuf is not supported on this platform: the socket keeps the
// system's receive buffer, which absorbs some of the backlog before the
// server sees any, so the server's memory grows later than on Linux.
func setRcvbuf(syscall.RawConn, int) error { return nil }
