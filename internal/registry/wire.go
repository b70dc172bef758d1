package registry

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MagicByte starts every message in Confluent's wire format.
const MagicByte = 0

// HeaderSize is the magic byte plus the 4-byte schema id.
const HeaderSize = 5

// Wire format errors, for errors.Is.
var (
	ErrShortMessage  = errors.New("message shorter than the schema registry header")
	ErrUnknownMagic  = errors.New("unknown magic byte")
	ErrMessageIndex  = errors.New("malformed protobuf message index")
	errVarintOverrun = errors.New("varint overflows 32 bits")
)

// EncodeHeader returns the Confluent wire-format header for a schema id:
// the magic byte 0, then the id as a 4-byte big-endian integer.
func EncodeHeader(id int) []byte {
	return AppendHeader(make([]byte, 0, HeaderSize), id)
}

// AppendHeader appends the header for id to b, so an encoder can build a
// message in one buffer.
func AppendHeader(b []byte, id int) []byte {
	b = append(b, MagicByte)
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// DecodeHeader splits a wire-format message into its schema id and the
// payload that follows the header.
func DecodeHeader(b []byte) (id int, rest []byte, err error) {
	if len(b) < HeaderSize {
		return 0, nil, fmt.Errorf("decode header: %d bytes: %w", len(b), ErrShortMessage)
	}
	if b[0] != MagicByte {
		return 0, nil, fmt.Errorf("decode header: magic byte %d: %w", b[0], ErrUnknownMagic)
	}
	return int(int32(binary.BigEndian.Uint32(b[1:HeaderSize]))), b[HeaderSize:], nil
}

// AppendMessageIndexes appends the Protobuf message-index path that
// Confluent's serializer writes after the header: the count and then each
// index, as zig-zag varints. The common path [0] (the file's first message)
// is shortened to a single 0 byte, as Confluent does.
func AppendMessageIndexes(b []byte, indexes []int) []byte {
	if len(indexes) == 0 || (len(indexes) == 1 && indexes[0] == 0) {
		return append(b, 0)
	}
	b = binary.AppendVarint(b, int64(len(indexes)))
	for _, i := range indexes {
		b = binary.AppendVarint(b, int64(i))
	}
	return b
}

// EncodeMessageIndexes is AppendMessageIndexes into a new slice.
func EncodeMessageIndexes(indexes []int) []byte { return AppendMessageIndexes(nil, indexes) }

// maxMessageIndexes bounds the index path so a corrupt count cannot make
// the decoder allocate without limit; nesting this deep is not real.
const maxMessageIndexes = 1 << 10

// DecodeMessageIndexes reads a message-index path from the start of b and
// returns it with the bytes that follow. A single 0 byte decodes as [0].
func DecodeMessageIndexes(b []byte) (indexes []int, rest []byte, err error) {
	n, rest, err := readZigzag(b)
	if err != nil {
		return nil, nil, fmt.Errorf("decode message indexes: count: %w", err)
	}
	if n == 0 {
		return []int{0}, rest, nil
	}
	if n < 0 || n > maxMessageIndexes {
		return nil, nil, fmt.Errorf("decode message indexes: count %d: %w", n, ErrMessageIndex)
	}
	indexes = make([]int, n)
	for i := range indexes {
		var v int
		v, rest, err = readZigzag(rest)
		if err != nil {
			return nil, nil, fmt.Errorf("decode message indexes: index %d: %w", i, err)
		}
		if v < 0 {
			return nil, nil, fmt.Errorf("decode message indexes: index %d is %d: %w", i, v, ErrMessageIndex)
		}
		indexes[i] = v
	}
	return indexes, rest, nil
}

func readZigzag(b []byte) (int, []byte, error) {
	v, n := binary.Varint(b)
	switch {
	case n == 0:
		return 0, nil, ErrMessageIndex
	case n < 0 || v > 1<<31-1 || v < -1<<31:
		return 0, nil, fmt.Errorf("%w: %w", ErrMessageIndex, errVarintOverrun)
	}
	return int(v), b[n:], nil
}
