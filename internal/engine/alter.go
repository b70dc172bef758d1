package engine

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// alterSource runs ALTER STREAM|TABLE name ADD COLUMN ...: new value
// columns at the end of the schema, for sources that CREATE STREAM|TABLE
// declared. ksqlDB refuses it for read-only (CREATE SOURCE) sources and
// for sources a query writes, whose schema the query owns.
func (e *Engine) alterSource(s *ast.AlterSource) (*Result, error) {
	name := s.Name.Name
	word := kindWord(s.Table)
	src, ok := e.cat.Source(name)
	if !ok {
		return nil, fmt.Errorf("Source %s does not exist.", name)
	}
	if (src.Kind == catalog.Table) != s.Table {
		return nil, fmt.Errorf("Incompatible data source type is %s, but statement was ALTER %s", src.Kind, strings.ToUpper(word))
	}
	if src.ReadOnly {
		return nil, fmt.Errorf("Cannot alter %s '%s': ALTER operations are not supported on source %ss.", word, name, word)
	}
	if src.CreatedBy != "" {
		return nil, fmt.Errorf("ALTER command is not supported for CREATE ... AS statements.")
	}
	altered := *src
	altered.Schema.Columns = append([]catalog.Column(nil), src.Schema.Columns...)
	for _, c := range s.Columns {
		for _, have := range altered.Schema.Columns {
			if have.Name == c.Name.Name {
				return nil, fmt.Errorf("Cannot add column `%s` to schema. A column with the same name already exists.", c.Name.Name)
			}
		}
		t, err := resolveType(c.Type, e.cat)
		if err != nil {
			return nil, err
		}
		altered.Schema.Columns = append(altered.Schema.Columns, catalog.Column{Name: c.Name.Name, Type: t, Namespace: catalog.Value})
	}
	if err := e.validateFormats(&altered); err != nil {
		return nil, err
	}
	if err := e.cat.PutSource(&altered, true); err != nil {
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("%s %s altered.", titleWord(word), name), Source: &altered}, nil
}
