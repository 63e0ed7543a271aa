//go:build unix

package link

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// rawWriter returns a non-blocking writer for conn, or nil when conn has
// no file descriptor (a test pipe). Its calls must not overlap (the
// writer's direct writes never do).
func rawWriter(conn net.Conn) func(b []byte) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawWrite{conn: conn, rc: rc}
	w.fn = w.once // bound once: a closure per call would allocate
	return w.write
}

// rawWrite is the state of one non-blocking write.
type rawWrite struct {
	conn net.Conn
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	b    []byte
	n    int
	err  error
}

func (w *rawWrite) write(b []byte) (int, error) {
	// The writer goroutine leaves a deadline armed after its writes; an
	// expired one would fail this write at once. This one never waits,
	// so it needs none.
	_ = w.conn.SetWriteDeadline(time.Time{})
	w.b, w.n, w.err = b, 0, nil
	err := w.rc.Write(w.fn)
	n, werr := w.n, w.err
	w.b, w.err = nil, nil
	if err != nil {
		return 0, err
	}
	return n, werr
}

// once is one write(2), whatever it takes: the descriptor is
// non-blocking, and returning true tells the runtime not to wait.
func (w *rawWrite) once(fd uintptr) bool {
	for {
		w.n, w.err = syscall.Write(int(fd), w.b)
		if !errors.Is(w.err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(w.err, syscall.EAGAIN) {
		w.n, w.err = 0, nil
	}
	if w.n < 0 {
		w.n = 0
	}
	return true
}
