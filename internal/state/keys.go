package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The window and session stores compose keys from an opaque record key and
// timestamps. Record keys are escaped so that a composite key sorts first by
// record key, in the record key's own byte order, and only then by time, and
// so that no record key is a prefix of another's encoding: 0x00 becomes
// 0x00 0xFF and the key ends with 0x00 0x01, as in CockroachDB's bytes
// encoding. Timestamps are big-endian with the sign bit flipped, so negative
// times sort before positive ones.

const (
	escByte   = 0x00
	escEscape = 0xFF
	escEnd    = 0x01
)

// errBadKey reports a composite key that does not decode; it means the store
// holds data some other writer put there.
var errBadKey = errors.New("state: malformed composite key")

// appendKey appends the escaped, terminated form of k.
func appendKey(dst, k []byte) []byte {
	for {
		i := bytes.IndexByte(k, escByte)
		if i < 0 {
			break
		}
		dst = append(dst, k[:i]...)
		dst = append(dst, escByte, escEscape)
		k = k[i+1:]
	}
	dst = append(dst, k...)
	return append(dst, escByte, escEnd)
}

// decodeKey splits an escaped key off the front of b, returning the key and
// the rest of b.
func decodeKey(b []byte) (key, rest []byte, err error) {
	var buf []byte
	return decodeKeyInto(&buf, b)
}

// decodeKeyInto is decodeKey for iterators: a key that holds escapes is
// unescaped into *buf, which keeps the grown buffer for the next key; a key
// without escapes is returned as a subslice of b and leaves *buf alone.
func decodeKeyInto(buf *[]byte, b []byte) (key, rest []byte, err error) {
	out := (*buf)[:0]
	escaped := false
	for {
		i := bytes.IndexByte(b, escByte)
		if i < 0 || i+1 >= len(b) {
			return nil, nil, fmt.Errorf("%w: unterminated key", errBadKey)
		}
		switch b[i+1] {
		case escEnd:
			if !escaped {
				// Common case: no escapes, so the key is a subslice.
				return b[:i:i], b[i+2:], nil
			}
			out = append(out, b[:i]...)
			*buf = out
			return out, b[i+2:], nil
		case escEscape:
			out = append(out, b[:i+1]...)
			b = b[i+2:]
			escaped = true
		default:
			return nil, nil, fmt.Errorf("%w: bad escape 0x%02x", errBadKey, b[i+1])
		}
	}
}

// appendTime appends t so that byte order is numeric order.
func appendTime(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t)^(1<<63))
}

func decodeTime(b []byte) (int64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("%w: short timestamp", errBadKey)
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), b[8:], nil
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p is all 0xFF), meaning unbounded.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// floorDiv divides rounding towards negative infinity, so that segments of
// negative timestamps are contiguous too.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
