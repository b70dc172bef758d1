package op

import (
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// TableChange materializes a table source so that an aggregation over it
// sees changes, as Kafka Streams' KGroupedTable does: an update first
// sends the key's previous row marked Undo, so the aggregation subtracts it
// from its old group, then the new row. A delete sends only the undo.
type TableChange struct {
	Store state.ReadWriter
	Next  Op

	keyBuf []byte
	old    value.Row
}

// Process implements Op.
func (c *TableChange) Process(tc *stream.TaskContext, row *value.Row) error {
	c.keyBuf = c.keyBuf[:0]
	for _, k := range row.Key {
		c.keyBuf = value.AppendKey(c.keyBuf, k)
	}
	prev, err := c.Store.Get(c.keyBuf)
	switch {
	case errors.Is(err, state.ErrNotFound):
		prev = nil
	case err != nil:
		return fmt.Errorf("table change: %w", err)
	}
	if row.Val == nil {
		if prev == nil {
			return nil
		}
		if err := c.Store.Delete(c.keyBuf); err != nil {
			return fmt.Errorf("table change: %w", err)
		}
	} else if err := c.Store.Put(c.keyBuf, value.AppendValues(nil, row.Val)); err != nil {
		return fmt.Errorf("table change: %w", err)
	}
	if prev != nil {
		vals, _, err := value.DecodeValues(prev, nil)
		if err != nil {
			return fmt.Errorf("table change: stored row: %w", err)
		}
		if vals == nil {
			vals = []value.Value{}
		}
		c.old = *row
		c.old.Key = append([]value.Value(nil), row.Key...)
		c.old.Val = vals
		c.old.Undo = true
		if err := c.Next.Process(tc, &c.old); err != nil {
			return err
		}
	}
	// The new row always follows, even as a tombstone, so that whatever
	// pairs it with the undo (the repartition sink) is never left waiting.
	return c.Next.Process(tc, row)
}
