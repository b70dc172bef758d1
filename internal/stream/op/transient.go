package op

import (
	"context"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// BuildTransient builds a push query: the plan's rows go to emit instead
// of a sink topic.
func BuildTransient(ctx context.Context, id string, root plan.Node, env Env, emit func(tc *stream.TaskContext, row *value.Row) error) (stream.QuerySpec, error) {
	b := &builder{env: env, group: env.Group}
	err := b.sub(ctx, root, func(*stream.TaskContext) (Op, error) { return Func(emit), nil })
	if err != nil {
		return stream.QuerySpec{}, err
	}
	return stream.QuerySpec{ID: id, Subs: b.subs}, nil
}

// NewSource returns the decoding source operator of a catalog source.
func NewSource(ctx context.Context, src *catalog.Source, env Env) (*Source, error) {
	return newSource(ctx, src, env)
}

// Stateless returns the operators of a plan from its source up, for plans
// of only filters and projections (pull queries), wired to next, and the
// source they read.
func Stateless(root plan.Node, next Op) (*plan.Source, Op, bool) {
	op := next
	n := root
	for {
		switch x := n.(type) {
		case *plan.Source:
			return x, op, true
		case *plan.Filter:
			op = &Filter{Pred: x.Pred.Eval, Next: op, Table: isTable(x.Input)}
			n = x.Input
		case *plan.Project:
			op = &Project{Key: evals(x.Key), Val: evals(x.Val), Next: op, KeepVal: x.KeepVal, KeepKey: x.KeepKey}
			n = x.Input
		default:
			return nil, nil, false
		}
	}
}
