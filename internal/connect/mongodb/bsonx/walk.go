package bsonx

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BSON element type bytes.
const (
	TypeDouble     byte = 0x01
	TypeString     byte = 0x02
	TypeDocument   byte = 0x03
	TypeArray      byte = 0x04
	TypeBinary     byte = 0x05
	TypeUndefined  byte = 0x06
	TypeObjectID   byte = 0x07
	TypeBoolean    byte = 0x08
	TypeDateTime   byte = 0x09
	TypeNull       byte = 0x0A
	TypeRegex      byte = 0x0B
	TypeDBPointer  byte = 0x0C
	TypeJavaScript byte = 0x0D
	TypeSymbol     byte = 0x0E
	TypeCodeScope  byte = 0x0F
	TypeInt32      byte = 0x10
	TypeTimestamp  byte = 0x11
	TypeInt64      byte = 0x12
	TypeDecimal128 byte = 0x13
	TypeMinKey     byte = 0xFF
	TypeMaxKey     byte = 0x7F
)

// ErrMalformed is matched (errors.Is) by every decoding error caused by
// bytes that are not valid BSON or not the shape an oplog entry or
// change event must have.
var ErrMalformed = errors.New("malformed BSON")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Element is one element of a document: its type, key and value bytes
// (aliasing the document).
type Element struct {
	Type  byte
	Key   string
	Value []byte
}

// Iter walks the elements of one BSON document. Iteration allocates only
// the key strings' headers, never the values.
type Iter struct {
	rest []byte
	err  error
}

// NewIter checks doc's framing and returns an iterator over its elements.
func NewIter(doc []byte) Iter {
	if len(doc) < 5 {
		return Iter{err: malformed("document of %d bytes", len(doc))}
	}
	n := int(int32(binary.LittleEndian.Uint32(doc)))
	if n < 5 || n > len(doc) || doc[n-1] != 0 {
		return Iter{err: malformed("document length %d over %d bytes", n, len(doc))}
	}
	return Iter{rest: doc[4 : n-1]}
}

// Next returns the next element; ok is false at the end or on an error
// (see Err).
func (it *Iter) Next() (e Element, ok bool) {
	if it.err != nil || len(it.rest) == 0 {
		return Element{}, false
	}
	t := it.rest[0]
	b := it.rest[1:]
	k := cstringLen(b)
	if k < 0 {
		it.err = malformed("unterminated key")
		return Element{}, false
	}
	key := b[:k]
	b = b[k+1:]
	n, err := valueLen(t, b)
	if err != nil {
		it.err = fmt.Errorf("field %q: %w", key, err)
		return Element{}, false
	}
	it.rest = b[n:]
	return Element{Type: t, Key: bytesString(key), Value: b[:n]}, true
}

// Err returns the error that stopped iteration, if any.
func (it *Iter) Err() error { return it.err }

func cstringLen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// valueLen returns the size of a value of type t at the start of b.
func valueLen(t byte, b []byte) (int, error) {
	fixed := func(n int) (int, error) {
		if len(b) < n {
			return 0, malformed("type 0x%02x needs %d bytes, have %d", t, n, len(b))
		}
		return n, nil
	}
	switch t {
	case TypeDouble, TypeDateTime, TypeInt64, TypeTimestamp:
		return fixed(8)
	case TypeInt32:
		return fixed(4)
	case TypeDecimal128:
		return fixed(16)
	case TypeObjectID:
		return fixed(12)
	case TypeBoolean:
		return fixed(1)
	case TypeUndefined, TypeNull, TypeMinKey, TypeMaxKey:
		return 0, nil
	case TypeString, TypeJavaScript, TypeSymbol:
		return stringLen(b)
	case TypeDocument, TypeArray, TypeCodeScope:
		if len(b) < 5 {
			return 0, malformed("embedded document of %d bytes", len(b))
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 5 || n > len(b) {
			return 0, malformed("embedded length %d over %d bytes", n, len(b))
		}
		return n, nil
	case TypeBinary:
		if len(b) < 5 {
			return 0, malformed("binary of %d bytes", len(b))
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 0 || n+5 > len(b) {
			return 0, malformed("binary length %d over %d bytes", n, len(b))
		}
		return n + 5, nil
	case TypeRegex:
		p := cstringLen(b)
		if p < 0 {
			return 0, malformed("unterminated regex")
		}
		o := cstringLen(b[p+1:])
		if o < 0 {
			return 0, malformed("unterminated regex options")
		}
		return p + o + 2, nil
	case TypeDBPointer:
		n, err := stringLen(b)
		if err != nil {
			return 0, err
		}
		if n+12 > len(b) {
			return 0, malformed("short dbpointer")
		}
		return n + 12, nil
	}
	return 0, malformed("unknown element type 0x%02x", t)
}

func stringLen(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, malformed("string of %d bytes", len(b))
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 1 || n+4 > len(b) || b[n+3] != 0 {
		return 0, malformed("string length %d over %d bytes", n, len(b))
	}
	return n + 4, nil
}

// str returns a string value's bytes without the length and NUL; the
// value must have passed valueLen.
func str(v []byte) []byte { return v[4 : len(v)-1] }

// Lookup returns the first element of doc named key.
func Lookup(doc []byte, key string) (Element, bool, error) {
	it := NewIter(doc)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if e.Key == key {
			return e, true, nil
		}
	}
	return Element{}, false, it.Err()
}

// StringValue returns e's value as a Go string when e is a BSON string.
func (e Element) StringValue() (string, bool) {
	if e.Type != TypeString {
		return "", false
	}
	return string(str(e.Value)), true
}

// Timestamp is a BSON timestamp: seconds and an ordinal within the second.
// It orders oplog entries.
type Timestamp struct{ T, I uint32 }

// Less orders timestamps.
func (a Timestamp) Less(b Timestamp) bool { return a.T < b.T || (a.T == b.T && a.I < b.I) }

// IsZero reports whether a is the zero timestamp.
func (a Timestamp) IsZero() bool { return a.T == 0 && a.I == 0 }

// Uint64 packs a timestamp the way MongoDB stores it (T high, I low), the
// form Debezium 1.x keeps in its offsets.
func (a Timestamp) Uint64() uint64 { return uint64(a.T)<<32 | uint64(a.I) }

// TimestampFromUint64 unpacks Uint64's form.
func TimestampFromUint64(v uint64) Timestamp { return Timestamp{T: uint32(v >> 32), I: uint32(v)} }

// TimestampValue returns e's value as a Timestamp.
func (e Element) TimestampValue() (Timestamp, bool) {
	if e.Type != TypeTimestamp {
		return Timestamp{}, false
	}
	return Timestamp{I: binary.LittleEndian.Uint32(e.Value), T: binary.LittleEndian.Uint32(e.Value[4:])}, true
}

// Int64Value returns an int32, int64 or datetime value widened.
func (e Element) Int64Value() (int64, bool) {
	switch e.Type {
	case TypeInt32:
		return int64(int32(binary.LittleEndian.Uint32(e.Value))), true
	case TypeInt64, TypeDateTime:
		return int64(binary.LittleEndian.Uint64(e.Value)), true
	}
	return 0, false
}
