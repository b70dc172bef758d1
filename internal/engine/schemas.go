package engine

import (
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/registry"
)

// SchemaRegistry adapts a registry.Registry to the small interface the
// formats need; it is format.FromRegistry, kept here so callers that
// assemble an engine need one import.
func SchemaRegistry(r registry.Registry) format.Registry { return format.FromRegistry(r) }
