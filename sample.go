package zenoh

import (
	"strconv"
	"strings"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// SampleKind says whether a Sample is a Put or a Delete.
type SampleKind uint8

// Sample kinds.
const (
	SampleKindPut    SampleKind = 0
	SampleKindDelete SampleKind = 1
)

// String returns "PUT" or "DELETE", as zenoh prints them.
func (k SampleKind) String() string {
	if k == SampleKindDelete {
		return "DELETE"
	}
	return "PUT"
}

// Priority is a message priority, from PriorityRealTime (highest usable
// by applications) to PriorityBackground. PriorityControl is reserved for
// zenoh's own traffic.
type Priority = codec.Priority

// Priorities, as zenoh names them.
const (
	PriorityControl         = codec.PriorityControl
	PriorityRealTime        = codec.PriorityRealTime
	PriorityInteractiveHigh = codec.PriorityInteractiveHigh
	PriorityInteractiveLow  = codec.PriorityInteractiveLow
	PriorityDataHigh        = codec.PriorityDataHigh
	PriorityData            = codec.PriorityData
	PriorityDataLow         = codec.PriorityDataLow
	PriorityBackground      = codec.PriorityBackground
	// PriorityDefault is what Put, Delete and Get use unless told.
	PriorityDefault = codec.DefaultPriority
)

// CongestionControl says what a node does with a message its send queue
// to a peer cannot take: drop it, or wait for room (holding back the
// publisher).
type CongestionControl uint8

// Congestion control modes.
const (
	// CongestionControlDrop drops the message (zenoh's default for Put
	// and Delete).
	CongestionControlDrop CongestionControl = 0
	// CongestionControlBlock waits for room (zenoh's default for
	// queries and replies).
	CongestionControlBlock CongestionControl = 1
)

// String returns "drop" or "block".
func (c CongestionControl) String() string {
	if c == CongestionControlBlock {
		return "block"
	}
	return "drop"
}

// Reliability is the channel a message is sent on.
type Reliability uint8

// Reliabilities. Reliable is the default.
const (
	ReliabilityReliable   Reliability = 0
	ReliabilityBestEffort Reliability = 1
)

// Sample is one publication received by a subscriber, or one reply to a
// Get. Its byte slices are its own: the receiver may keep them (except in
// a LoanedCallback, which lends them for the call; Clone keeps them).
type Sample struct {
	// KeyExpr is the key the sample was published on.
	KeyExpr string
	// Payload is the value (empty for a Delete).
	Payload []byte
	// Encoding is the payload's encoding (EncodingZenohBytes if the
	// publisher gave none).
	Encoding Encoding
	// Timestamp is the HLC timestamp of the sample, zero if it has none
	// (a publisher or router with timestamping off).
	Timestamp hlc.Timestamp
	// Kind is SampleKindPut or SampleKindDelete.
	Kind SampleKind
	// Attachment is the user attachment, nil if none.
	Attachment []byte
	// Priority is the priority the sample travelled with.
	Priority Priority
	// CongestionControl is the congestion control it travelled with.
	CongestionControl CongestionControl
	// Express reports whether it was sent without batching.
	Express bool
}

// sampleFromData builds a Sample owning copies of d's bytes.
func sampleFromData(key []byte, d *codec.Data, qos codec.QoS) Sample {
	return sampleFromKey(string(key), d, qos, nil, false)
}

// keepPayload is the least payload a sample shares with the link's read
// buffer instead of copying: below, a copy costs less than the buffer the
// link then allocates for its next read.
const keepPayload = 512

// Clone returns a copy of s that owns its byte slices: what a
// LoanedCallback keeps past its return.
func (s Sample) Clone() Sample {
	c := s
	if s.Payload != nil {
		c.Payload = append([]byte{}, s.Payload...)
	}
	c.Attachment = cloneBytes(s.Attachment)
	return c
}

// sampleFromKey is sampleFromData with the key as a string, kept as is. A
// payload of keepPayload bytes or more is not copied when keep allows
// keeping it; with loan, nothing is copied: the sample aliases d, valid
// only as long as d.
func sampleFromKey(key string, d *codec.Data, qos codec.QoS, keep link.Keeper, loan bool) Sample {
	s := Sample{
		KeyExpr:           key,
		Timestamp:         d.Timestamp,
		Priority:          qos.Priority(),
		CongestionControl: CongestionControlDrop,
		Express:           qos.Express(),
	}
	if qos.Block() {
		s.CongestionControl = CongestionControlBlock
	}
	if d.Kind == codec.MidDel {
		s.Kind = SampleKindDelete
	} else {
		if loan || len(d.Payload) >= keepPayload && keep != nil && keep.Keep() {
			s.Payload = d.Payload[:len(d.Payload):len(d.Payload)]
		} else {
			s.Payload = cloneBytes(d.Payload)
		}
		s.Encoding = encodingFromCodec(d.Encoding)
		if s.Payload == nil {
			s.Payload = []byte{}
		}
	}
	if loan {
		s.Attachment = d.Attachment
	} else {
		s.Attachment = cloneBytes(d.Attachment)
	}
	return s
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// Encoding is a payload's encoding: one of zenoh's predefined encodings
// (spec/network.md section 6), optionally with a schema. The zero value
// is EncodingZenohBytes. Encodings are comparable with ==.
type Encoding struct {
	// ID is the predefined encoding id; EncodingCustomID marks an
	// encoding zenoh does not predefine, named in full by Schema.
	ID uint16
	// Schema qualifies the encoding (e.g. "utf-8" in "text/plain;utf-8").
	// At most 255 bytes travel on the wire.
	Schema string
}

// EncodingCustomID is the id of an encoding that is not predefined: its
// Schema holds the whole string (Rust's convention on the wire).
const EncodingCustomID uint16 = 0xffff

// encodingNames is zenoh's table of predefined encodings, by id.
var encodingNames = [...]string{
	"zenoh/bytes", "zenoh/string", "zenoh/serialized", "application/octet-stream",
	"text/plain", "application/json", "text/json", "application/cdr", "application/cbor",
	"application/yaml", "text/yaml", "text/json5", "application/python-serialized-object",
	"application/protobuf", "application/java-serialized-object", "application/openmetrics-text",
	"image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp", "application/xml",
	"application/x-www-form-urlencoded", "text/html", "text/xml", "text/css", "text/javascript",
	"text/markdown", "text/csv", "application/sql", "application/coap-payload",
	"application/json-patch+json", "application/json-seq", "application/jsonpath",
	"application/jwt", "application/mp4", "application/soap+xml", "application/yang",
	"audio/aac", "audio/flac", "audio/mp4", "audio/ogg", "audio/vorbis", "video/h261",
	"video/h263", "video/h264", "video/h265", "video/h266", "video/mp4", "video/ogg",
	"video/raw", "video/vp8", "video/vp9",
}

var encodingIDs = func() map[string]uint16 {
	m := make(map[string]uint16, len(encodingNames))
	for i, n := range encodingNames {
		m[n] = uint16(i)
	}
	return m
}()

// Predefined encodings most often used; any other is
// EncodingFromString of its name.
var (
	EncodingZenohBytes             = Encoding{ID: 0}
	EncodingZenohString            = Encoding{ID: 1}
	EncodingZenohSerialized        = Encoding{ID: 2}
	EncodingApplicationOctetStream = Encoding{ID: 3}
	EncodingTextPlain              = Encoding{ID: 4}
	EncodingApplicationJSON        = Encoding{ID: 5}
	EncodingTextJSON               = Encoding{ID: 6}
	EncodingApplicationCDR         = Encoding{ID: 7}
	EncodingApplicationCBOR        = Encoding{ID: 8}
	EncodingApplicationYAML        = Encoding{ID: 9}
	EncodingTextYAML               = Encoding{ID: 10}
	EncodingTextJSON5              = Encoding{ID: 11}
	EncodingApplicationProtobuf    = Encoding{ID: 13}
	EncodingImagePNG               = Encoding{ID: 16}
	EncodingImageJPEG              = Encoding{ID: 17}
	EncodingApplicationXML         = Encoding{ID: 21}
	EncodingTextHTML               = Encoding{ID: 23}
	EncodingTextCSV                = Encoding{ID: 28}
)

// WithSchema returns e with the given schema.
func (e Encoding) WithSchema(schema string) Encoding {
	e.Schema = schema
	return e
}

// String returns zenoh's text form: "name" or "name;schema", e.g.
// "text/plain;utf-8". A custom encoding prints as its schema; an unknown
// id as "unknown(ID)".
func (e Encoding) String() string {
	if e.ID == EncodingCustomID {
		return e.Schema
	}
	var name string
	if int(e.ID) < len(encodingNames) {
		name = encodingNames[e.ID]
	} else {
		name = "unknown(" + strconv.Itoa(int(e.ID)) + ")"
	}
	if e.Schema != "" {
		return name + ";" + e.Schema
	}
	return name
}

// EncodingFromString parses zenoh's text form "name" or "name;schema".
// A name zenoh does not predefine gives a custom encoding (ID
// EncodingCustomID, Schema the whole string), as Rust does; the empty
// string gives EncodingZenohBytes.
func EncodingFromString(s string) Encoding {
	if s == "" {
		return EncodingZenohBytes
	}
	name, schema, _ := strings.Cut(s, ";")
	if id, ok := encodingIDs[name]; ok {
		return Encoding{ID: id, Schema: schema}
	}
	return Encoding{ID: EncodingCustomID, Schema: s}
}

func (e Encoding) toCodec() codec.Encoding {
	ce := codec.Encoding{ID: e.ID}
	if e.Schema != "" {
		s := e.Schema
		if len(s) > 255 {
			s = s[:255]
		}
		ce.Schema = []byte(s)
	}
	return ce
}

func encodingFromCodec(e codec.Encoding) Encoding {
	return Encoding{ID: e.ID, Schema: string(e.Schema)}
}
