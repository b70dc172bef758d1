package engine

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/stream/op"
)

func ratPow10(n int) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil))
}

// validateFormats checks that the source's formats exist and can carry its
// columns, with the format's own error.
func (e *Engine) validateFormats(src *catalog.Source) error {
	kf, vf, err := op.Formats(src, e.opts.Registry)
	if err != nil {
		return err
	}
	if err := kf.Validate(op.Target(src, true)); err != nil {
		return err
	}
	return vf.Validate(op.Target(src, false))
}

// inferColumns fills in key and value columns from the schema registry when
// the statement declares none for a format that carries a schema, as the
// tutorial's CREATE STREAM ... WITH (value_format='avro') relies on.
func (e *Engine) inferColumns(ctx context.Context, src *catalog.Source, props withProps, cols []catalog.Column) ([]catalog.Column, error) {
	hasKey, hasVal := false, false
	for _, c := range cols {
		if c.Namespace == catalog.Key {
			hasKey = true
		} else if c.Namespace == catalog.Value {
			hasVal = true
		}
	}
	if !hasVal && supportsInference(src.ValueFormat.Name) {
		id := 0
		if v, ok := props.str("VALUE_SCHEMA_ID"); ok {
			id, _ = strconv.Atoi(v)
		}
		inferred, err := e.inferFromRegistry(ctx, src.ValueFormat.Name, src.Topic, false, id)
		if err != nil {
			return nil, err
		}
		for _, c := range inferred {
			cols = append(cols, catalog.Column{Name: c.Name, Type: c.Type, Namespace: catalog.Value})
		}
	}
	if !hasKey && supportsInference(src.KeyFormat.Name) {
		id := 0
		if v, ok := props.str("KEY_SCHEMA_ID"); ok {
			id, _ = strconv.Atoi(v)
		}
		inferred, err := e.inferFromRegistry(ctx, src.KeyFormat.Name, src.Topic, true, id)
		if err != nil {
			return nil, fmt.Errorf("%w", err)
		}
		var keys []catalog.Column
		for _, c := range inferred {
			keys = append(keys, catalog.Column{Name: c.Name, Type: c.Type, Namespace: catalog.Key})
		}
		cols = append(keys, cols...)
	}
	return cols, nil
}

func supportsInference(f string) bool {
	switch f {
	case format.Avro, format.Protobuf, format.JSONSR:
		return true
	}
	return false
}

// inferFromRegistry reads a topic's key or value schema (by id, or the
// subject's latest) and maps it to columns.
func (e *Engine) inferFromRegistry(ctx context.Context, fmtName, topic string, isKey bool, id int) ([]format.Column, error) {
	what := "values"
	if isKey {
		what = "keys"
	}
	var s format.Schema
	var err error
	if id > 0 {
		s, err = e.opts.Registry.SchemaByID(ctx, id)
	} else {
		_, s, err = e.opts.Registry.Latest(ctx, format.Subject(topic, isKey))
	}
	if err != nil {
		return nil, fmt.Errorf("Schema for message %s on topic '%s' does not exist in the Schema Registry.", what, topic)
	}
	switch fmtName {
	case format.Avro:
		cols, _, err := format.InferAvro(s, isKey)
		return cols, err
	}
	return nil, fmt.Errorf("schema inference for %s is %w", fmtName, errNotYet)
}

var errNotYet = errors.New("not supported yet")
