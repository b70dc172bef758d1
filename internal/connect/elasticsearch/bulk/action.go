package bulk

import (
	"strconv"
	"unicode/utf8"
)

// Op is a bulk operation.
type Op uint8

// The operations the sink issues.
const (
	// OpIndex writes the whole document, replacing any previous one.
	OpIndex Op = iota
	// OpUpsert merges the document into an existing one, or creates it
	// (update with doc_as_upsert).
	OpUpsert
	// OpDelete removes the document; a missing document is not an error.
	OpDelete
)

func (o Op) String() string {
	switch o {
	case OpIndex:
		return "index"
	case OpUpsert:
		return "update"
	case OpDelete:
		return "delete"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Action is one document operation. Source must be one line of JSON (no
// raw newlines), as encoding/json produces; it is ignored for OpDelete.
type Action struct {
	Op    Op
	Index string
	// Type is the mapping type, sent only to servers that still have
	// types (Elasticsearch before 7); leave it empty otherwise.
	Type string
	// ID is the document id; empty lets the server choose one.
	ID string
	// Versioned sends Version with version_type=external, so a retried
	// or reordered older write loses to a newer one. It does not apply to
	// OpUpsert, which the server cannot version externally.
	Versioned bool
	Version   int64
	Source    []byte
	// Ref is the caller's handle for the action, returned in failures.
	Ref any
}

// Around an upsert's source.
const (
	upsertOpen  = `{"doc":`
	upsertClose = `,"doc_as_upsert":true}`
)

// appendTo appends the action's metadata line and, except for deletes,
// its source line.
func (a *Action) appendTo(b []byte) []byte {
	b = a.appendMeta(b)
	if a.Op != OpDelete {
		b = a.appendSource(b)
	}
	return b
}

// appendMeta appends the action's metadata line.
func (a *Action) appendMeta(b []byte) []byte {
	b = append(b, `{"`...)
	b = append(b, a.Op.String()...)
	b = append(b, `":{"_index":`...)
	b = AppendJSONString(b, a.Index)
	if a.Type != "" {
		b = append(b, `,"_type":`...)
		b = AppendJSONString(b, a.Type)
	}
	if a.ID != "" {
		b = append(b, `,"_id":`...)
		b = AppendJSONString(b, a.ID)
	}
	if a.Versioned && a.Op != OpUpsert {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, a.Version, 10)
		b = append(b, `,"version_type":"external"`...)
	}
	return append(b, "}}\n"...)
}

// appendSource appends the source line of an index or upsert action.
func (a *Action) appendSource(b []byte) []byte {
	if a.Op == OpUpsert {
		b = append(b, upsertOpen...)
		b = append(b, a.Source...)
		b = append(b, upsertClose...)
	} else {
		b = append(b, a.Source...)
	}
	return append(b, '\n')
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal. Ids and index names
// are short and nearly always plain ASCII, so this avoids encoding/json's
// reflection on the hot path.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
