package server

import (
	"context"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/value"
)

// EngineQueries runs transient queries on the engine.
type EngineQueries struct{ Engine *engine.Engine }

// Query implements QueryEngine.
func (q EngineQueries) Query(ctx context.Context, sess *engine.Session, sql string) (Cursor, error) {
	c, err := q.Engine.Query(ctx, sess, sql)
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(c.Columns))
	for i, col := range c.Columns {
		cols[i] = Column{Name: col.Name, Type: col.Type, Key: col.Namespace == catalog.Key}
	}
	return &engineCursor{c: c, cols: cols}, nil
}

type engineCursor struct {
	c    *engine.Cursor
	cols []Column
}

func (c *engineCursor) Columns() []Column { return c.cols }
func (c *engineCursor) Next(ctx context.Context) ([]value.Value, bool, error) {
	return c.c.Next(ctx)
}

// Close closes a push query's cursor. A pull cursor holds no resources,
// and the engine's Close closes a channel only push cursors have.
func (c *engineCursor) Close() error {
	if c.c.Pull {
		return nil
	}
	return c.c.Close()
}

// Tombstone reports whether the row Next returned last is a tombstone.
func (c *engineCursor) Tombstone() bool { return c.c.Tombstone() }

// FinalMessage is the message that ends the query's /query result.
func (c *engineCursor) FinalMessage() string { return c.c.FinalMessage }

// QueryID is the engine's id for the query, which /close-query takes.
func (c *engineCursor) QueryID() string { return c.c.ID }
