package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
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
	if s.Sink {
		e.sinkDefaults(cfg)
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

// esSinkClass is the Confluent Elasticsearch sink, which can write key
// columns into its documents.
const esSinkClass = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"

// sinkDefaults fills in what a sink reading Sluice's own topics needs and
// the user did not say, because Sluice knows how it wrote them: converters
// matching the source's key and value formats (ksqlDB writes string keys
// in the KAFKA format that an Avro key converter cannot read), and, for
// the Elasticsearch sink, the name of a single key column so the document
// carries it (DESIGN.md: the tutorial's documents show O_ORDER_ID).
func (e *Engine) sinkDefaults(cfg map[string]string) {
	topics := strings.Split(cfg["topics"], ",")
	if len(topics) != 1 || strings.TrimSpace(topics[0]) == "" {
		return
	}
	src := e.sourceByTopic(strings.TrimSpace(topics[0]))
	if src == nil {
		return
	}
	if _, ok := cfg["key.converter"]; !ok {
		if c := converterFor(src.KeyFormat.Name); c != "" {
			cfg["key.converter"] = c
			if c == connect.JSONConverterClass {
				cfg["key.converter.schemas.enable"] = "false"
			}
		}
	}
	if _, ok := cfg["value.converter"]; !ok {
		if c := converterFor(src.ValueFormat.Name); c != "" {
			cfg["value.converter"] = c
			if c == connect.JSONConverterClass {
				cfg["value.converter.schemas.enable"] = "false"
			}
		}
	}
	if cfg["connector.class"] == esSinkClass {
		if _, ok := cfg["sluice.key.field.name"]; !ok {
			if keys := src.Schema.Key(); len(keys) == 1 {
				cfg["sluice.key.field.name"] = keys[0].Name
			}
		}
	}
}

func converterFor(format string) string {
	switch strings.ToUpper(format) {
	case "AVRO":
		return connect.AvroConverterClass
	case "JSON":
		return connect.JSONConverterClass
	case "KAFKA", "DELIMITED":
		return connect.StringConverterClass
	}
	return ""
}

func (e *Engine) sourceByTopic(topic string) *catalog.Source {
	var found *catalog.Source
	for _, s := range e.cat.Sources() {
		if s.Topic == topic && (found == nil || s.CreatedBy != "") {
			found = s
		}
	}
	return found
}
