//go:build !unix

package link

import "net"

// rawWriter is not available here: every write goes through the writer
// goroutine.
func rawWriter(net.Conn) func([]byte) (int, error) { return nil }
