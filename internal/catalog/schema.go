package catalog

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/types"
)

// Namespace says where a column's data lives in a record.
type Namespace uint8

const (
	// Value columns are decoded from the record value.
	Value Namespace = iota
	// Key columns are decoded from the record key.
	Key
	// Header columns are read from record headers: all of them as
	// ARRAY<STRUCT<KEY STRING, VALUE BYTES>>, or one key's last value as BYTES.
	Header
)

// Column is one column of a source's logical schema.
type Column struct {
	Name      string
	Type      *types.Type
	Namespace Namespace
	// HeaderKey is set for HEADER('key') columns; empty with Namespace
	// Header means the HEADERS column holding every header.
	HeaderKey string
}

// Schema is a source's logical schema: key columns first, then value and
// header columns in declaration order, as ksqlDB's LogicalSchema keeps them.
type Schema struct {
	Columns []Column
}

// Key returns the key columns in order.
func (s Schema) Key() []Column { return s.filter(func(c Column) bool { return c.Namespace == Key }) }

// Value returns the value and header columns in order.
func (s Schema) Value() []Column {
	return s.filter(func(c Column) bool { return c.Namespace != Key })
}

// ValueOnly returns the columns decoded from the record value (excluding headers).
func (s Schema) ValueOnly() []Column {
	return s.filter(func(c Column) bool { return c.Namespace == Value })
}

func (s Schema) filter(keep func(Column) bool) []Column {
	var out []Column
	for _, c := range s.Columns {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the column with the exact name, or false.
func (s Schema) Find(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// String renders the schema as ksqlDB's post-condition and DESCRIBE text:
// "`ID` INTEGER KEY, `NAME` STRING".
func (s Schema) String() string {
	var b strings.Builder
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`%s` %s", c.Name, c.Type.SQL())
		switch c.Namespace {
		case Key:
			b.WriteString(" KEY")
		case Header:
			if c.HeaderKey != "" {
				fmt.Fprintf(&b, " HEADER('%s')", strings.ReplaceAll(c.HeaderKey, "'", "''"))
			} else {
				b.WriteString(" HEADERS")
			}
		}
	}
	return b.String()
}

// Pseudo columns every source has. ROWTIME is the record timestamp;
// ROWPARTITION and ROWOFFSET its position; WINDOWSTART and WINDOWEND exist
// on windowed sources.
const (
	RowTime      = "ROWTIME"
	RowPartition = "ROWPARTITION"
	RowOffset    = "ROWOFFSET"
	WindowStart  = "WINDOWSTART"
	WindowEnd    = "WINDOWEND"
)

// IsPseudo reports whether name is a reserved pseudo column.
func IsPseudo(name string) bool {
	switch name {
	case RowTime, RowPartition, RowOffset, WindowStart, WindowEnd:
		return true
	}
	return false
}
