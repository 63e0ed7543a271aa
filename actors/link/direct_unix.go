//go:build unix

package link

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// rawWriter returns a non-blocking writer for conn, or nil when conn has
// no file descriptor (a test pipe).
func rawWriter(conn net.Conn) func(b []byte) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func(b []byte) (int, error) {
		// The writer goroutine leaves a deadline armed after its writes;
		// an expired one would fail this write at once. This one never
		// waits, so it needs none.
		_ = conn.SetWriteDeadline(time.Time{})
		var n int
		var werr error
		// The descriptor is non-blocking: one write(2), whatever it
		// takes; returning true tells the runtime not to wait.
		err := rc.Write(func(fd uintptr) bool {
			for {
				n, werr = syscall.Write(int(fd), b)
				if !errors.Is(werr, syscall.EINTR) {
					break
				}
			}
			if errors.Is(werr, syscall.EAGAIN) {
				n, werr = 0, nil
			}
			if n < 0 {
				n = 0
			}
			return true
		})
		if err != nil {
			return 0, err
		}
		return n, werr
	}
}
