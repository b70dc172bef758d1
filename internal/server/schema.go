package server

import (
	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/types"
)

// schemaInfo is ksqlDB's SchemaInfo: a type as REST clients read it.
type schemaInfo struct {
	Type         string         `json:"type"`
	Fields       []fieldInfo    `json:"fields"`
	MemberSchema *schemaInfo    `json:"memberSchema"`
	Parameters   map[string]any `json:"parameters,omitempty"`
}

// fieldInfo is ksqlDB's FieldInfo; Type is "KEY" or "HEADER" for those
// columns and absent for value columns.
type fieldInfo struct {
	Name   string     `json:"name"`
	Schema schemaInfo `json:"schema"`
	Type   string     `json:"type,omitempty"`
}

func typeSchema(t *types.Type) schemaInfo {
	if t == nil {
		return schemaInfo{Type: "STRING"}
	}
	si := schemaInfo{Type: t.Kind.String()}
	switch t.Kind {
	case types.Decimal:
		si.Parameters = map[string]any{"precision": t.Precision, "scale": t.Scale}
	case types.Array, types.Map:
		m := typeSchema(t.Elem)
		si.MemberSchema = &m
	case types.Struct:
		si.Fields = make([]fieldInfo, 0, len(t.Fields))
		for _, f := range t.Fields {
			si.Fields = append(si.Fields, fieldInfo{Name: f.Name, Schema: typeSchema(f.Type)})
		}
	}
	return si
}

func schemaFields(s catalog.Schema) []fieldInfo {
	out := make([]fieldInfo, 0, len(s.Columns))
	for _, c := range s.Columns {
		f := fieldInfo{Name: c.Name, Schema: typeSchema(c.Type)}
		switch c.Namespace {
		case catalog.Key:
			f.Type = "KEY"
		case catalog.Header:
			f.Type = "HEADER"
		}
		out = append(out, f)
	}
	return out
}
