package engine

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/types"
)

// resolveType turns a type as written into a SQL type, expanding custom
// types registered with CREATE TYPE, and rejects STRUCTs with duplicate
// field names as ksqlDB does.
func resolveType(t *ast.Type, cat *catalog.Catalog) (*types.Type, error) {
	if err := checkStructFields(t); err != nil {
		return nil, err
	}
	return expr.ResolveType(t, func(name string) (*types.Type, bool) {
		if ct, ok := cat.Type(name); ok {
			return ct, true
		}
		return cat.Type(strings.ToUpper(name))
	})
}

func checkStructFields(t *ast.Type) error {
	if t == nil {
		return nil
	}
	seen := map[string]string{}
	for _, f := range t.Fields {
		if prev, ok := seen[f.Name.Name]; ok {
			return fmt.Errorf("Duplicate field names found in STRUCT: '%s' and '%s'", prev, f.Name.Name)
		}
		seen[f.Name.Name] = f.Name.Name
		if err := checkStructFields(f.Type); err != nil {
			return err
		}
	}
	for _, c := range []*ast.Type{t.Elem, t.Key, t.Value} {
		if err := checkStructFields(c); err != nil {
			return err
		}
	}
	return nil
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
