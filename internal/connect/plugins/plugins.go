// Package plugins assembles the connector plugins Sluice ships: the
// Debezium PostgreSQL and MongoDB sources and the Confluent Elasticsearch
// sink, with the runtime's converters and transforms. It exists so the
// server imports one package, while each connector stays independent.
package plugins

import (
	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/connect/mongodb"
	"github.com/sluicedb/sluice/internal/connect/postgres"
)

// New returns the plugins of every built-in connector.
func New() *connect.Plugins {
	p := connect.NewPlugins()
	postgres.Register(p)
	mongodb.Register(p)
	elasticsearch.Register(p)
	return p
}
