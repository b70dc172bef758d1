package embedded

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/sluicedb/sluice/internal/logstore"
)

// A record on disk is framed as
//
//	u32 body length | u32 CRC32C(body) | body
//
// and the body is
//
//	u8 magic | i64 offset | i64 timestamp | key | value | headers
//
// where key and value are a signed varint length followed by the bytes, a
// length of -1 meaning null (so a null value, a tombstone, differs from an
// empty one), and headers are a uvarint count of (uvarint key length, key,
// value as above). Integers are little-endian. The CRC covers the offset, so
// a record copied to the wrong place is caught as well as a torn one.
const (
	frameSize   = 8
	recordMagic = 1
	// bodyFixed is magic + offset + timestamp.
	bodyFixed = 1 + 8 + 8
	// offsetAt and tsAt locate the fields from the start of the frame.
	offsetAt = frameSize + 1
	tsAt     = offsetAt + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks bytes that are not a whole, valid record: a torn tail
// after a crash, or damage.
var errCorrupt = errors.New("embedded: corrupt or torn record")

// appendRecord encodes r into buf with offset 0 and no CRC; sealRecord
// fills both in at commit, when the offset is known.
func appendRecord(buf []byte, r *logstore.Record) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0, recordMagic)
	buf = binary.LittleEndian.AppendUint64(buf, 0)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(r.Timestamp))
	buf = appendBytes(buf, r.Key)
	buf = appendBytes(buf, r.Value)
	buf = binary.AppendUvarint(buf, uint64(len(r.Headers)))
	for _, h := range r.Headers {
		buf = binary.AppendUvarint(buf, uint64(len(h.Key)))
		buf = append(buf, h.Key...)
		buf = appendBytes(buf, h.Value)
	}
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(buf)-start-frameSize))
	return buf
}

// encodedSize is the size appendRecord will produce, used to reject
// oversized records before copying them.
func encodedSize(r *logstore.Record) int {
	n := frameSize + bodyFixed + bytesSize(r.Key) + bytesSize(r.Value) + binary.MaxVarintLen64
	for _, h := range r.Headers {
		n += binary.MaxVarintLen64 + len(h.Key) + bytesSize(h.Value)
	}
	return n
}

func bytesSize(b []byte) int { return binary.MaxVarintLen64 + len(b) }

func appendBytes(buf, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(buf, -1)
	}
	buf = binary.AppendVarint(buf, int64(len(b)))
	return append(buf, b...)
}

// sealRecord stamps the offset into an encoded record and computes its CRC.
func sealRecord(rec []byte, offset int64) {
	binary.LittleEndian.PutUint64(rec[offsetAt:], uint64(offset))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[frameSize:], castagnoli))
}

// recordHead is what scans need without decoding keys and values.
type recordHead struct {
	size      int // whole frame
	offset    int64
	timestamp int64
}

// peekRecord validates the record at the start of b and returns its head.
// A short or damaged record is errCorrupt; callers at a segment's tail treat
// that as the end of the valid data.
func peekRecord(b []byte) (recordHead, error) {
	if len(b) < frameSize {
		return recordHead{}, errCorrupt
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < bodyFixed+3 || n > len(b)-frameSize {
		return recordHead{}, errCorrupt
	}
	body := b[frameSize : frameSize+n]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[4:]) || body[0] != recordMagic {
		return recordHead{}, errCorrupt
	}
	return recordHead{
		size:      frameSize + n,
		offset:    int64(binary.LittleEndian.Uint64(body[1:])),
		timestamp: int64(binary.LittleEndian.Uint64(body[9:])),
	}, nil
}

// frameLen returns the full size of the record starting at b, or 0 when b
// does not hold its length prefix.
func frameLen(b []byte) int {
	if len(b) < frameSize {
		return 0
	}
	return frameSize + int(binary.LittleEndian.Uint32(b))
}

// decodeRecord fills r from a record already checked by peekRecord. Key,
// Value and header values alias b, which the caller must not reuse.
func decodeRecord(b []byte, h recordHead, r *logstore.Record) error {
	body := b[frameSize+bodyFixed : h.size]
	var err error
	r.Offset, r.Timestamp = h.offset, h.timestamp
	if r.Key, body, err = readBytes(body); err != nil {
		return err
	}
	if r.Value, body, err = readBytes(body); err != nil {
		return err
	}
	nh, k := binary.Uvarint(body)
	if k <= 0 || nh > uint64(len(body)) {
		return errCorrupt
	}
	body = body[k:]
	r.Headers = nil
	if nh > 0 {
		r.Headers = make([]logstore.Header, nh)
		for i := range r.Headers {
			kl, k := binary.Uvarint(body)
			if k <= 0 || kl > uint64(len(body)-k) {
				return errCorrupt
			}
			r.Headers[i].Key = string(body[k : k+int(kl)])
			body = body[k+int(kl):]
			if r.Headers[i].Value, body, err = readBytes(body); err != nil {
				return err
			}
		}
	}
	return nil
}

func readBytes(b []byte) (val, rest []byte, err error) {
	n, k := binary.Varint(b)
	if k <= 0 || n < -1 || n > int64(len(b)-k) {
		return nil, nil, errCorrupt
	}
	if n == -1 {
		return nil, b[k:], nil
	}
	end := k + int(n)
	return b[k:end:end], b[end:], nil
}

// keyOf returns the key of an encoded record (nil when null) and whether
// the value is null. Compaction needs only these.
func keyOf(b []byte, h recordHead) (key []byte, tombstone bool, err error) {
	body := b[frameSize+bodyFixed : h.size]
	key, body, err = readBytes(body)
	if err != nil {
		return nil, false, err
	}
	n, k := binary.Varint(body)
	if k <= 0 {
		return nil, false, errCorrupt
	}
	return key, n == -1, nil
}
