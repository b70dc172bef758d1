package expr

import (
	"fmt"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"strings"
)

// resolveType turns a written type into a SQL type.
func resolveType(t *ast.Type) (*types.Type, error) {
	return resolveTypeWith(t, nil)
}

func resolveTypeWith(t *ast.Type, custom func(string) (*types.Type, bool)) (*types.Type, error) {
	if t == nil {
		return nil, fmt.Errorf("missing type")
	}
	switch t.Kind {
	case ast.TypeArray:
		e, err := resolveTypeWith(t.Elem, custom)
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(e), nil
	case ast.TypeMap:
		k, err := resolveTypeWith(t.Key, custom)
		if err != nil {
			return nil, err
		}
		v, err := resolveTypeWith(t.Value, custom)
		if err != nil {
			return nil, err
		}
		return types.MapOf(k, v), nil
	case ast.TypeStruct:
		fs := make([]types.Field, 0, len(t.Fields))
		for _, f := range t.Fields {
			ft, err := resolveTypeWith(f.Type, custom)
			if err != nil {
				return nil, err
			}
			fs = append(fs, types.Field{Name: f.Name.Name, Type: ft})
		}
		return types.StructOf(fs...), nil
	case ast.TypeDecimal:
		if len(t.Params) != 2 {
			return nil, fmt.Errorf("DECIMAL requires precision and scale")
		}
		var p, s int
		if _, err := fmt.Sscanf(t.Params[0], "%d", &p); err != nil {
			return nil, fmt.Errorf("invalid DECIMAL precision %q", t.Params[0])
		}
		if _, err := fmt.Sscanf(t.Params[1], "%d", &s); err != nil {
			return nil, fmt.Errorf("invalid DECIMAL scale %q", t.Params[1])
		}
		return types.DecimalOf(p, s)
	}
	switch strings.ToUpper(t.Name.Name) {
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
			return resolveTypeWith(&ast.Type{Kind: ast.TypeDecimal, Params: t.Params}, custom)
		}
	}
	if custom != nil {
		if ct, ok := custom(t.Name.Name); ok {
			return ct, nil
		}
	}
	return nil, fmt.Errorf("Unknown type: %s", t.Name.Name)
}

func (c *compiler) typedLiteral(n *ast.TypedLit) (node, error) {
	switch strings.ToUpper(n.Type.Name) {
	case "DECIMAL":
		v, t, err := parseDecimalLiteral(n.Value)
		if err != nil {
			return node{}, typeErr(n, "Invalid decimal literal: %s", n.Value)
		}
		return constNode(t, v), nil
	case "DATE", "TIME", "TIMESTAMP", "BYTES":
		to, _ := resolveType(&ast.Type{Name: n.Type})
		v, err := castString(n.Value, to)
		if err != nil {
			return node{}, typeErr(n, "Invalid %s literal '%s': %v", to, n.Value, err)
		}
		return constNode(to, v), nil
	}
	return node{}, typeErr(n, "Unknown type: %s, value: %s", n.Type.Name, n.Value)
}
