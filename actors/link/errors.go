package link

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrEndpoint: a string is not a valid endpoint (proto/address?metadata#config).
	ErrEndpoint = errors.New("link: invalid endpoint")

	// ErrProtocol: the endpoint's protocol is not one this package speaks
	// (tcp and udp).
	ErrProtocol = errors.New("link: unsupported protocol")

	// ErrClosed: the link has stopped; what was handed to it to write
	// was not written.
	ErrClosed = errors.New("link: closed")

	// ErrListenerClosed: the UDP listener that carried a datagram
	// connection stopped; the connection's reads fail with it.
	ErrListenerClosed = errors.New("link: udp listener closed")

	// ErrConfig: a Config or ListenerConfig holds a negative value.
	ErrConfig = errors.New("link: invalid config")
)
