package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
)

// A dump file, <topic>.bin, holds an input's records exactly as produced
// into the log, so a peer reads the bytes Sluice read. Each record is
// big-endian: int32 key length, key, int32 value length, value, int64
// timestamp, which Java's DataInputStream reads directly. For AVRO,
// <topic>.avsc holds the writer schema the registry assigned, since the
// peers have no registry and strip the 5-byte wire-format header.
type dumper struct {
	f *os.File
	w *bufio.Writer
}

func newDumper(ctx context.Context, dir string, in Input, valueFormat string, reg format.Registry) (*dumper, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: dump: %w", err)
	}
	if valueFormat == format.Avro {
		_, s, err := reg.Latest(ctx, format.Subject(in.Topic, false))
		if err != nil {
			return nil, fmt.Errorf("bench: dump schema of %s: %w", in.Topic, err)
		}
		if err := os.WriteFile(filepath.Join(dir, in.Topic+".avsc"), []byte(s.Text), 0o644); err != nil {
			return nil, fmt.Errorf("bench: dump: %w", err)
		}
	}
	f, err := os.Create(filepath.Join(dir, in.Topic+".bin"))
	if err != nil {
		return nil, fmt.Errorf("bench: dump: %w", err)
	}
	return &dumper{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (d *dumper) write(r logstore.Record) error {
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(r.Key)))
	d.w.Write(hdr[:])
	d.w.Write(r.Key)
	binary.BigEndian.PutUint32(hdr[:], uint32(len(r.Value)))
	d.w.Write(hdr[:])
	d.w.Write(r.Value)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(r.Timestamp))
	if _, err := d.w.Write(ts[:]); err != nil {
		return fmt.Errorf("bench: dump: %w", err)
	}
	return nil
}

func (d *dumper) close() error {
	if err := d.w.Flush(); err != nil {
		d.f.Close()
		return fmt.Errorf("bench: dump: %w", err)
	}
	return d.f.Close()
}
