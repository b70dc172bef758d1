package capture

import (
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// Mode is how changes are read.
type Mode string

const (
	// ModeChangeStream reads a cluster-wide change stream (MongoDB 4.0+).
	ModeChangeStream Mode = "change_streams"
	// ModeOplog tails local.oplog.rs, for servers without change streams.
	ModeOplog Mode = "oplog"
)

// Position is where reading resumes: after the oplog entry at TS (and,
// inside a transaction's applyOps, after operation Ord), or after the
// change-stream event whose resume token is Token.
type Position struct {
	TS    bsonx.Timestamp
	Ord   int
	Token []byte // a resume token document, raw BSON; nil in oplog mode
}

// After reports whether ev comes strictly after p in oplog order.
func (p Position) After(ev bsonx.Event) bool {
	if p.TS.Less(ev.TS) {
		return true
	}
	return ev.TS == p.TS && ev.Ord > p.Ord
}

// Of returns the position just past ev.
func Of(ev bsonx.Event) Position {
	return Position{TS: ev.TS, Ord: ev.Ord, Token: ev.Token}
}
