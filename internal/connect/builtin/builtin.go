// Package builtin assembles the connector plugins Sluice ships: the
// runtime's converters and transforms plus every native connector class.
// It exists apart from connect so that the runtime does not import its
// connectors (they import it).
package builtin

import (
	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/postgres"
)

// Plugins returns a fresh registry with every built-in class.
func Plugins() *connect.Plugins {
	p := connect.NewPlugins()
	postgres.Register(p)
	return p
}
