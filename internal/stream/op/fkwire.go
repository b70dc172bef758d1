package op

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/value"
)

// A foreign-key join's two sides talk through two internal topics, as in
// Kafka Streams (KIP-213). The left side sends a subscription, keyed by
// the foreign key, to the partition of the right table that holds it; the
// right side answers each subscription, and every later change of the
// right row, with a response keyed by the left key, sent to the left
// partition the subscription came from. Both records carry a hash of the
// left row they were made for, so the left side can tell a response meant
// for a value it has since replaced.

// instruction says what the right side does with a subscription.
type instruction byte

const (
	// deleteNoPropagate drops the subscription silently: the left row
	// moved to another foreign key, whose response will speak for it.
	deleteNoPropagate instruction = iota + 1
	// deleteAndPropagate drops the subscription and answers with no
	// right row: the left row is gone or lost its foreign key.
	deleteAndPropagate
	// propagateNullIfNoFKVal subscribes and answers in any case, with no
	// right row if there is none, so a previous result is withdrawn.
	propagateNullIfNoFKVal
	// propagateOnlyIfFKValAvailable subscribes. The answer carries the
	// right row if there is one, and otherwise only says there is none
	// (noneResponse), which the left side acts on only if an earlier
	// result of its key is still standing.
	propagateOnlyIfFKValAvailable
)

const fkWireVersion = 1

// hashLen is the size of a left value's hash: 128 bits, as Kafka Streams'
// murmur3 hash, so that two values colliding is not a practical concern.
const hashLen = 16

type valueHash struct {
	ok  bool
	sum [hashLen]byte
}

// hashValues hashes a left row's encoded values (value.AppendValues).
func hashValues(enc []byte) valueHash {
	s := sha256.Sum256(enc)
	h := valueHash{ok: true}
	copy(h.sum[:], s[:hashLen])
	return h
}

func appendHash(dst []byte, h valueHash) []byte {
	if !h.ok {
		return append(dst, 0)
	}
	return append(append(dst, 1), h.sum[:]...)
}

func readHash(b []byte) (valueHash, []byte, error) {
	if len(b) == 0 {
		return valueHash{}, nil, errors.New("missing hash")
	}
	if b[0] == 0 {
		return valueHash{}, b[1:], nil
	}
	if len(b) < 1+hashLen {
		return valueHash{}, nil, errors.New("short hash")
	}
	h := valueHash{ok: true}
	copy(h.sum[:], b[1:1+hashLen])
	return h, b[1+hashLen:], nil
}

// subscription is the value of a subscription record; its key is the
// foreign key (value.AppendKey), as the right table's store keys it.
type subscription struct {
	instr instruction
	// partition is the left partition the response goes to.
	partition int32
	hash      valueHash
	// leftKey is the left row's key, value.AppendValues-encoded.
	leftKey []byte
}

func (s subscription) append(dst []byte) []byte {
	dst = append(dst, fkWireVersion, byte(s.instr))
	dst = binary.AppendUvarint(dst, uint64(s.partition))
	dst = appendHash(dst, s.hash)
	return append(dst, s.leftKey...)
}

func decodeSubscription(b []byte) (subscription, error) {
	var s subscription
	if len(b) < 2 || b[0] != fkWireVersion {
		return s, fmt.Errorf("subscription: unknown version")
	}
	s.instr = instruction(b[1])
	if s.instr < deleteNoPropagate || s.instr > propagateOnlyIfFKValAvailable {
		return s, fmt.Errorf("subscription: unknown instruction %d", s.instr)
	}
	p, n := binary.Uvarint(b[2:])
	if n <= 0 {
		return s, errors.New("subscription: bad partition")
	}
	s.partition = int32(p)
	var err error
	if s.hash, b, err = readHash(b[2+n:]); err != nil {
		return s, fmt.Errorf("subscription: %w", err)
	}
	s.leftKey = b
	return s, nil
}

// Response values say whether the right row is there.
const (
	noRight      = 0 // no right row: a tombstone for INNER, NULLs for LEFT
	withRight    = 1 // the right row's values follow
	noneResponse = 2 // no right row, in answer to propagateOnlyIfFKValAvailable
)

// response is the value of a response record; its key is the left key
// (value.AppendValues).
type response struct {
	hash valueHash
	kind byte
	// right is the right row's values, value.AppendValues-encoded.
	right []byte
}

func (r response) append(dst []byte) []byte {
	dst = append(dst, fkWireVersion)
	dst = appendHash(dst, r.hash)
	dst = append(dst, r.kind)
	return append(dst, r.right...)
}

func decodeResponse(b []byte) (response, error) {
	var r response
	if len(b) < 1 || b[0] != fkWireVersion {
		return r, errors.New("response: unknown version")
	}
	var err error
	if r.hash, b, err = readHash(b[1:]); err != nil {
		return r, fmt.Errorf("response: %w", err)
	}
	if len(b) == 0 || b[0] > noneResponse {
		return r, errors.New("response: bad kind")
	}
	r.kind, r.right = b[0], b[1:]
	return r, nil
}

// FKPartitioner places a foreign key in the right table's partition that
// holds the row it names.
type FKPartitioner func(fk value.Value) (int32, error)
