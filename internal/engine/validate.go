package engine

import (
	"context"
	"math/big"
	"strings"

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
	if err := format.ValidateSchema(kf, op.Target(src, true)); err != nil {
		return err
	}
	return format.ValidateSchema(vf, op.Target(src, false))
}

// inferColumns fills in key and value columns from the schema registry when
// the statement declares none for a format that carries a schema, as the
// tutorial's CREATE STREAM ... WITH (value_format='avro') relies on.
func (e *Engine) inferColumns(ctx context.Context, src *catalog.Source, cols []catalog.Column) ([]catalog.Column, error) {
	hasKey, hasVal := false, false
	for _, c := range cols {
		if c.Namespace == catalog.Key {
			hasKey = true
		} else if c.Namespace == catalog.Value {
			hasVal = true
		}
	}
	if !hasVal && supportsInference(src.ValueFormat.Name) {
		inf, err := format.InferColumns(ctx, e.opts.Registry, src.ValueFormat.Name, src.ValueFormat.Props, src.Topic, false, op.Target(src, false).Wrap)
		if err != nil {
			return nil, err
		}
		for _, c := range inf.Columns {
			cols = append(cols, catalog.Column{Name: c.Name, Type: c.Type, Namespace: catalog.Value})
		}
		if inf.Unwrapped {
			src.ValueFeatures = []string{"UNWRAP_SINGLE_VALUE"}
		}
	}
	if !hasKey && supportsInference(src.KeyFormat.Name) {
		inf, err := format.InferColumns(ctx, e.opts.Registry, src.KeyFormat.Name, src.KeyFormat.Props, src.Topic, true, format.WrapDefault)
		if err != nil {
			return nil, err
		}
		var keys []catalog.Column
		for _, c := range inf.Columns {
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

// unwrapFromConfig applies ksql.persistence.wrap.single.values=false to a
// source whose statement does not say WRAP_SINGLE_VALUE: as in ksqlDB's
// SerdeFeaturesFactory, only to a single value column, and only where the
// value format can write it bare.
func (e *Engine) unwrapFromConfig(sess *Session, src *catalog.Source) {
	if len(src.ValueFeatures) > 0 || len(src.Schema.ValueOnly()) != 1 {
		return
	}
	if !strings.EqualFold(e.property(sess, "ksql.persistence.wrap.single.values", ""), "false") {
		return
	}
	f, err := format.New(src.ValueFormat.Name, src.ValueFormat.Props, e.opts.Registry)
	if err != nil {
		return
	}
	t := op.Target(src, false)
	t.Wrap = format.Unwrapped
	if _, err := f.Unwrapped(t); err != nil {
		return
	}
	src.ValueFeatures = []string{"UNWRAP_SINGLE_VALUE"}
}
