// Package builtin assembles a function.Registry holding every built-in
// family (scalar, table, aggregate). It exists so callers need one import,
// while the families stay independent of each other.
package builtin

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/aggregate"
	"github.com/sluicedb/sluice/internal/function/scalar"
	"github.com/sluicedb/sluice/internal/function/table"
)

// Register adds every built-in function to r.
func Register(r *function.Registry) error {
	if err := scalar.Register(r); err != nil {
		return fmt.Errorf("scalar functions: %w", err)
	}
	if err := table.Register(r); err != nil {
		return fmt.Errorf("table functions: %w", err)
	}
	if err := aggregate.Register(r); err != nil {
		return fmt.Errorf("aggregate functions: %w", err)
	}
	return nil
}

// New returns a registry holding every built-in function. The built-ins
// are fixed at compile time and their registration is tested, so an error
// here is a bug in this module; New reports it as a panic rather than
// making every caller handle an impossible error.
func New() *function.Registry {
	r := function.NewRegistry()
	if err := Register(r); err != nil {
		panic(fmt.Sprintf("builtin: %v", err))
	}
	return r
}
