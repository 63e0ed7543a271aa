package codec

import (
	"errors"
	"strconv"
)

// Sentinel errors. Decoders wrap them in an *Error that names the message
// and the byte offset, so callers test with errors.Is.
var (
	// ErrTruncated: the input ended inside a field.
	ErrTruncated = errors.New("codec: truncated input")
	// ErrOverflow: a zint is longer than 9 bytes would allow, or its value
	// exceeds the bound of its field (z8, z16, z32, a batch-sized length).
	ErrOverflow = errors.New("codec: integer out of range")
	// ErrUnknownMessage: a header byte carries an id not valid where it stands.
	ErrUnknownMessage = errors.New("codec: unknown message id")
	// ErrMandatoryExtension: an extension this decoder does not know has its
	// M bit set, so the message must be refused.
	ErrMandatoryExtension = errors.New("codec: unknown mandatory extension")
	// ErrExtensionEncoding: an extension uses the reserved encoding 0b11, or a
	// known extension arrives with an encoding other than its own.
	ErrExtensionEncoding = errors.New("codec: invalid extension encoding")
	// ErrInvalid: a field holds a value the protocol forbids (a reserved
	// whatami, a zero ZenohId, a target above AllComplete, ...).
	ErrInvalid = errors.New("codec: invalid field value")
	// ErrTrailing: bytes remain after a message that must fill its input.
	ErrTrailing = errors.New("codec: trailing bytes")
	// ErrTooLarge: an encoder was given a value the wire cannot carry (a
	// suffix over 65535 bytes, a schema over 255 bytes, ...).
	ErrTooLarge = errors.New("codec: value too large to encode")
)

// Error is a decoding failure: which message or field was being read,
// at which offset of the decoder's input, and why (Err, a sentinel).
type Error struct {
	Msg string // message or field name, e.g. "Push" or "InitSyn.cookie"
	Off int    // offset in the input the decoder was given
	Err error  // one of the sentinels above
	// Ext is the extension header byte, for ErrMandatoryExtension and
	// ErrExtensionEncoding; 0 otherwise.
	Ext byte
}

func (e *Error) Error() string {
	s := "codec: decoding " + e.Msg + " at offset " + strconv.Itoa(e.Off) + ": " + trimPrefix(e.Err.Error())
	if e.Ext != 0 {
		s += " (extension header 0x" + strconv.FormatUint(uint64(e.Ext), 16) + ", id " +
			strconv.Itoa(int(e.Ext&extIDMask)) + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func trimPrefix(s string) string {
	const p = "codec: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
