// Package codec encodes and decodes the Zenoh 1.x wire protocol (protocol
// version 0x09) byte for byte as zenoh (Rust) and zenoh-pico (C) do.
//
// It is a pure library: no goroutines, no I/O. The layouts follow
// ../shared/spec/transport.md and network.md; the batches captured from
// zenoh-pico in ../shared/vectors are its golden tests.
//
// # Layers
//
//   - Primitives: zint (AppendZint, Zint: at most 9 bytes, the 9th carries
//     8 bits), byte arrays, ZenohId (hlc.ID), timestamps, WhatAmI, the
//     resolution byte, and the extension chain (Extension).
//   - Transport messages (TransportMessage): Init, Open, Close, KeepAlive,
//     Frame, Fragment, Join and the transport OAM. Scouting (Scout,
//     Hello) travels in UDP datagrams of its own.
//   - Network messages (NetworkMessage): Push, Request, Response,
//     ResponseFinal, Interest, Declare (one of eight declarations or
//     DeclareFinal) and the network OAM with its linkstate payload; and
//     the data messages they carry: Put and Del (Data), Query, Reply, Err.
//   - Framing: on streams each batch follows a 2-byte little-endian length.
//     StreamFramer cuts a stream into batches whatever the read sizes;
//     BatchBuilder fills a batch and counts the prefix against the agreed
//     batch size, as zenoh-pico does; BatchReader walks a batch and the
//     network messages of its Frame in place.
//
// # Encoding and decoding
//
// Encoders append to a caller's slice (AppendPush(dst, &m) []byte) and
// never fail: they assume values the wire can carry (a suffix of at most
// 65535 bytes, a schema of at most 255, a valid role...). They omit
// extensions whose value is the default and derive header flags from the
// values. Extensions are written in Rust's order, then the unknown ones a
// decoder kept.
//
// Decoders read one message from the start of a slice and return how
// much they used, or an *Error naming the message, the offset and a
// sentinel (ErrTruncated, ErrOverflow, ErrMandatoryExtension, ...). They
// never panic, whatever the bytes, and never allocate by a length read
// from the input beyond what the input holds.
//
// # Ownership
//
// Decoded messages alias the input: suffixes, payloads, attachments,
// cookies and extension bodies are sub-slices of the decoder's source, not
// copies (only scouting locators and linkstate locators are copied into
// strings). The caller owns the source and must copy whatever it keeps
// after reusing the buffer. Empty byte fields decode as nil.
//
// Unions (TransportMessage, NetworkMessage) are reused across decodes
// without allocation; only the field named by ID is meaningful, the
// others may hold stale values.
//
// # Extensions
//
// An extension is identified by the low 7 bits of its header (id, M and
// encoding): Init's 0x01 (QoS) and 0x21 (QoSLink) are different
// extensions. An unknown extension with M=0 is kept in the message's Exts
// and re-emitted by the encoder; one with M=1 fails the message with
// ErrMandatoryExtension, whose *Error carries the header in Ext.
package codec
