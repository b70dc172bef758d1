package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/types"
)

// resolveType turns a type as written into a SQL type, expanding custom
// types registered with CREATE TYPE.
func resolveType(t *ast.Type, cat *catalog.Catalog) (*types.Type, error) {
	switch t.Kind {
	case ast.TypeArray:
		e, err := resolveType(t.Elem, cat)
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(e), nil
	case ast.TypeMap:
		k, err := resolveType(t.Key, cat)
		if err != nil {
			return nil, err
		}
		v, err := resolveType(t.Value, cat)
		if err != nil {
			return nil, err
		}
		return types.MapOf(k, v), nil
	case ast.TypeStruct:
		fields := make([]types.Field, 0, len(t.Fields))
		for _, f := range t.Fields {
			ft, err := resolveType(f.Type, cat)
			if err != nil {
				return nil, err
			}
			for _, prev := range fields {
				if prev.Name == f.Name.Name {
					return nil, fmt.Errorf("Duplicate field names found in STRUCT: '%s' and '%s'", prev.Name, f.Name.Name)
				}
			}
			fields = append(fields, types.Field{Name: f.Name.Name, Type: ft})
		}
		return types.StructOf(fields...), nil
	case ast.TypeDecimal:
		if len(t.Params) != 2 {
			return nil, fmt.Errorf("DECIMAL requires precision and scale")
		}
		p, err1 := strconv.Atoi(t.Params[0])
		s, err2 := strconv.Atoi(t.Params[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("invalid DECIMAL parameters %v", t.Params)
		}
		return types.DecimalOf(p, s)
	}
	name := strings.ToUpper(t.Name.Name)
	switch name {
	case "BOOLEAN":
		return types.BooleanType, nil
	case "INT", "INTEGER":
		return types.IntType, nil
	case "BIGINT":
		return types.BigintType, nil
	case "DOUBLE":
		return types.DoubleType, nil
	case "STRING", "VARCHAR":
		return types.StringType, nil
	case "BYTES":
		return types.BytesType, nil
	case "DATE":
		return types.DateType, nil
	case "TIME":
		return types.TimeType, nil
	case "TIMESTAMP":
		return types.TimestampType, nil
	case "DECIMAL":
		if len(t.Params) == 2 {
			p, _ := strconv.Atoi(t.Params[0])
			s, _ := strconv.Atoi(t.Params[1])
			return types.DecimalOf(p, s)
		}
	}
	if ct, ok := cat.Type(t.Name.Name); ok {
		return ct, nil
	}
	if ct, ok := cat.Type(name); ok {
		return ct, nil
	}
	return nil, fmt.Errorf("Unknown type: %s", t.Name.Name)
}

// ColumnsFromSQL parses a column list as written in CREATE STREAM, such as
// "ID INT KEY, NAME STRING", into columns in schema order.
func (e *Engine) ColumnsFromSQL(list string) ([]catalog.Column, error) {
	stmt, err := parser.ParseStatement("CREATE STREAM S (" + list + ") WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON')")
	if err != nil {
		return nil, err
	}
	cs, ok := stmt.(*ast.CreateSource)
	if !ok {
		return nil, fmt.Errorf("not a column list: %s", list)
	}
	cols, err := e.tableElements(cs.Elements)
	if err != nil {
		return nil, err
	}
	return orderColumns(cols), nil
}
