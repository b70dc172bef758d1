package format

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
)

// avroReader reads Avro's binary encoding.
type avroReader struct {
	b []byte
	i int
	// items counts array and map items decoded so far, bounded by
	// maxItems so that zero-byte items (nulls) cannot make a small
	// record expand without limit.
	items int
}

var (
	errAvroShort  = errors.New("Avro data ends early")
	errAvroVarint = errors.New("Avro varint overflows 64 bits")
	errAvroLength = errors.New("Avro length out of range")
)

func (r *avroReader) long() (int64, error) {
	var u uint64
	var shift uint
	for {
		if r.i >= len(r.b) {
			return 0, errAvroShort
		}
		c := r.b[r.i]
		r.i++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
		shift += 7
		if shift > 63 {
			return 0, errAvroVarint
		}
	}
	return int64(u>>1) ^ -int64(u&1), nil
}

func (r *avroReader) boolean() (bool, error) {
	if r.i >= len(r.b) {
		return false, errAvroShort
	}
	c := r.b[r.i]
	r.i++
	return c != 0, nil
}

func (r *avroReader) float() (float32, error) {
	if r.i+4 > len(r.b) {
		return 0, errAvroShort
	}
	f := math.Float32frombits(binary.LittleEndian.Uint32(r.b[r.i:]))
	r.i += 4
	return f, nil
}

func (r *avroReader) double() (float64, error) {
	if r.i+8 > len(r.b) {
		return 0, errAvroShort
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.i:]))
	r.i += 8
	return f, nil
}

// bytes returns a length-prefixed run aliasing the input.
func (r *avroReader) bytes() ([]byte, error) {
	n, err := r.long()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(r.b)-r.i) {
		return nil, errAvroLength
	}
	b := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return b, nil
}

func (r *avroReader) fixed(n int) ([]byte, error) {
	if n > len(r.b)-r.i {
		return nil, errAvroShort
	}
	b := r.b[r.i : r.i+n]
	r.i += n
	return b, nil
}

// blockCount reads an array or map block header. A negative count is
// followed by the block's byte size, which is skipped over here.
func (r *avroReader) blockCount() (int, error) {
	n, err := r.long()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, errAvroLength
		}
		n = -n
		if _, err := r.long(); err != nil {
			return 0, err
		}
	}
	// Items take at least a byte unless they are nulls; bound the count so
	// a corrupt header cannot make the decoder spin or allocate without limit.
	if n > int64(len(r.b)-r.i)+1<<16 {
		return 0, errAvroLength
	}
	r.items += int(n)
	if r.items > len(r.b)+1<<16 {
		return 0, errAvroLength
	}
	return int(n), nil
}

func appendAvroLong(b []byte, n int64) []byte {
	u := uint64(n<<1) ^ uint64(n>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendAvroBytes(b []byte, p []byte) []byte {
	b = appendAvroLong(b, int64(len(p)))
	return append(b, p...)
}

func appendAvroString(b []byte, s string) []byte {
	b = appendAvroLong(b, int64(len(s)))
	return append(b, s...)
}

// twosComplement returns u as big-endian two's complement in the fewest
// bytes, or padded to size when size > 0; ok is false if it does not fit.
func twosComplement(u *big.Int, size int) ([]byte, bool) {
	var b []byte
	if u.Sign() >= 0 {
		b = u.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
	} else {
		// -u - 1, inverted, is the two's complement magnitude.
		m := new(big.Int).Neg(u)
		m.Sub(m, big.NewInt(1))
		b = m.Bytes()
		for i := range b {
			b[i] = ^b[i]
		}
		if len(b) == 0 || b[0]&0x80 == 0 {
			b = append([]byte{0xff}, b...)
		}
	}
	if size > 0 {
		if len(b) > size {
			return nil, false
		}
		pad := byte(0)
		if u.Sign() < 0 {
			pad = 0xff
		}
		for len(b) < size {
			b = append([]byte{pad}, b...)
		}
	}
	return b, true
}

// appendTwosInt64 is twosComplement for an int64, without allocating.
func appendTwosInt64(dst []byte, n int64) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(n))
	i := 0
	for i < 7 {
		if (buf[i] == 0 && buf[i+1]&0x80 == 0) || (buf[i] == 0xff && buf[i+1]&0x80 != 0) {
			i++
			continue
		}
		break
	}
	return append(dst, buf[i:]...)
}

// fromTwos reads big-endian two's complement.
func fromTwos(b []byte) (int64, *big.Int) {
	if len(b) == 0 {
		return 0, nil
	}
	if len(b) <= 8 {
		n := int64(int8(b[0]))
		for _, c := range b[1:] {
			n = n<<8 | int64(c)
		}
		return n, nil
	}
	u := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return 0, u
}
