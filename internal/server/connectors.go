package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// Connector statements are answered as ksqlDB answers them from its
// embedded Kafka Connect: connector_list, connector_description and
// connector_plugins_list entities, with secrets masked by the runtime.

type connectorInfo struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	ClassName string `json:"className"`
	State     string `json:"state"`
}

func (s *Server) connectors() (*connect.Runtime, error) {
	rt := s.opts.Engine.Connectors()
	if rt == nil {
		return nil, fmt.Errorf("This server runs no connectors.")
	}
	return rt, nil
}

func kindName(k connect.Kind) string { return strings.ToUpper(fmt.Sprint(k)) }

func (s *Server) showConnectors(st *ast.Show, text string) (any, error) {
	rt, err := s.connectors()
	if err != nil {
		return nil, err
	}
	list := []connectorInfo{}
	for _, c := range rt.List() {
		kind := kindName(c.Kind)
		if st.ConnectorType != "" && !strings.EqualFold(st.ConnectorType, kind) {
			continue
		}
		running := 0
		for _, t := range c.Tasks {
			if t.State == connect.Running {
				running++
			}
		}
		state := fmt.Sprintf("%s (%d/%d tasks RUNNING)", c.State, running, len(c.Tasks))
		list = append(list, connectorInfo{Name: c.Name, Type: kind, ClassName: c.Class, State: state})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return map[string]any{"@type": "connector_list", "statementText": text, "connectors": list, "warnings": []warning{}}, nil
}

func (s *Server) describeConnector(name, text string) (any, error) {
	rt, err := s.connectors()
	if err != nil {
		return nil, err
	}
	st, err := rt.Describe(name)
	if err != nil {
		return nil, fmt.Errorf("Could not find connector %s: %w", name, err)
	}
	type task struct {
		ID    int    `json:"id"`
		State string `json:"state"`
		Trace string `json:"trace,omitempty"`
	}
	tasks := []task{}
	for _, t := range st.Tasks {
		tasks = append(tasks, task{ID: t.ID, State: string(t.State), Trace: t.Trace})
	}
	var sources []string
	for _, src := range s.opts.Engine.Catalog().Sources() {
		for _, tp := range st.Topics {
			if src.Topic == tp {
				sources = append(sources, src.Name)
			}
		}
	}
	if sources == nil {
		sources = []string{}
	}
	topics := st.Topics
	if topics == nil {
		topics = []string{}
	}
	warnings := []warning{}
	for _, w := range st.Warnings {
		warnings = append(warnings, warning{Message: w})
	}
	status := map[string]any{
		"name":      st.Name,
		"connector": map[string]any{"state": string(st.State), "worker_id": "sluice"},
		"tasks":     tasks,
		"type":      strings.ToLower(kindName(st.Kind)),
	}
	desc := map[string]any{
		"@type":          "connector_description",
		"statementText":  text,
		"connectorClass": st.Class,
		"status":         status,
		"sources":        sources,
		"topics":         topics,
		"config":         st.Config,
		"lag":            st.Lag,
		"records":        st.Records,
		"lastError":      st.LastError,
		"warnings":       warnings,
	}
	return desc, nil
}

func (s *Server) showConnectorPlugins(text string) (any, error) {
	type plugin struct {
		ClassName string `json:"className"`
		Type      string `json:"type"`
		Version   string `json:"version"`
	}
	list := []plugin{
		{ClassName: "io.debezium.connector.postgresql.PostgresConnector", Type: "source", Version: "sluice"},
		{ClassName: "io.debezium.connector.mongodb.MongoDbConnector", Type: "source", Version: "sluice"},
		{ClassName: "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", Type: "sink", Version: "sluice"},
	}
	return map[string]any{"@type": "connector_plugins_list", "statementText": text, "connectorsPlugins": list, "warnings": []warning{}}, nil
}
