package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// Connectors returns the connector runtime, or nil if the engine has none.
func (e *Engine) Connectors() *connect.Runtime { return e.opts.Connectors }

func (e *Engine) createConnector(ctx context.Context, s *ast.CreateConnector) (*Result, error) {
	rt := e.opts.Connectors
	if rt == nil {
		return nil, errors.New("This server runs no connectors: it was started without a connector runtime.")
	}
	name := s.Name.Name
	if _, err := rt.Describe(name); err == nil {
		if s.IfNotExists {
			return &Result{Message: fmt.Sprintf("Connector %s already exists", name)}, nil
		}
		return nil, fmt.Errorf("Connector %s already exists", name)
	}
	cfg := make(map[string]string, len(s.Props))
	for _, p := range s.Props {
		text, _, err := literalText(p.Value)
		if err != nil {
			return nil, fmt.Errorf("connector %s: property '%s': %w", name, p.Name, err)
		}
		cfg[p.Name] = text
	}
	if err := rt.Create(ctx, name, s.Sink, cfg); err != nil {
		return nil, err
	}
	st, _ := rt.Describe(name)
	kind := "source"
	if s.Sink {
		kind = "sink"
	}
	return &Result{Message: fmt.Sprintf("Created %s connector %s", kind, name), Entity: st}, nil
}

func (e *Engine) dropConnector(ctx context.Context, s *ast.DropConnector) (*Result, error) {
	rt := e.opts.Connectors
	if rt == nil {
		return nil, errors.New("This server runs no connectors: it was started without a connector runtime.")
	}
	name := s.Name.Name
	if err := rt.Drop(ctx, name); err != nil {
		if errors.Is(err, connect.ErrNotFound) && s.IfExists {
			return &Result{Message: fmt.Sprintf("Connector %s does not exist.", name)}, nil
		}
		if errors.Is(err, connect.ErrNotFound) {
			return nil, fmt.Errorf("Connector %s does not exist.", name)
		}
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("Dropped connector \"%s\"", strings.TrimSpace(name))}, nil
}
