package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// The admin entities ksqlDB's REST layer answers SHOW, LIST, DESCRIBE and
// EXPLAIN with. Field names and "@type" tags are ksqlDB's, because clients
// deserialize them by name.

type sourceInfo struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Topic       string `json:"topic"`
	KeyFormat   string `json:"keyFormat"`
	ValueFormat string `json:"valueFormat"`
	IsWindowed  bool   `json:"isWindowed"`
}

type runningQuery struct {
	QueryString     string         `json:"queryString"`
	Sinks           []string       `json:"sinks"`
	SinkKafkaTopics []string       `json:"sinkKafkaTopics"`
	ID              string         `json:"id"`
	StatusCount     map[string]int `json:"statusCount"`
	QueryType       string         `json:"queryType"`
	State           string         `json:"state"`
}

type sourceDescription struct {
	Name                 string         `json:"name"`
	WindowType           *string        `json:"windowType"`
	ReadQueries          []runningQuery `json:"readQueries"`
	WriteQueries         []runningQuery `json:"writeQueries"`
	Fields               []fieldInfo    `json:"fields"`
	Type                 string         `json:"type"`
	Timestamp            string         `json:"timestamp"`
	Statistics           string         `json:"statistics"`
	ErrorStats           string         `json:"errorStats"`
	Extended             bool           `json:"extended"`
	KeyFormat            string         `json:"keyFormat"`
	ValueFormat          string         `json:"valueFormat"`
	Topic                string         `json:"topic"`
	Partitions           int32          `json:"partitions"`
	Replication          int16          `json:"replication"`
	Statement            string         `json:"statement"`
	QueryOffsetSummaries []any          `json:"queryOffsetSummaries"`
	SourceConstraints    []string       `json:"sourceConstraints"`
	ClusterStatistics    []any          `json:"clusterStatistics"`
	ClusterErrorStats    []any          `json:"clusterErrorStats"`
}

type property struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
	Value string `json:"value"`
}

type functionArg struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	IsVariadic  bool   `json:"isVariadic"`
}

type functionVariant struct {
	Arguments     []functionArg `json:"arguments"`
	ReturnType    string        `json:"returnType"`
	Description   string        `json:"description"`
	ArgumentTypes []string      `json:"argumentTypes"`
}

// admin answers the statements ksqlDB executes in its REST layer from the
// catalog, the log and the function registry.
func (s *Server) admin(ctx context.Context, sess *engine.Session, stmt ast.Statement, text string) (any, error) {
	switch st := stmt.(type) {
	case *ast.Show:
		return s.show(ctx, sess, st, text)
	case *ast.Describe:
		src, ok := s.opts.Engine.Catalog().Source(st.Name.Name)
		if !ok {
			return nil, fmt.Errorf("Could not find STREAM/TABLE '%s' in the Metastore", st.Name.Name)
		}
		return map[string]any{"@type": "sourceDescription", "statementText": text,
			"sourceDescription": s.describe(ctx, src, st.Extended), "warnings": []warning{}}, nil
	case *ast.DescribeSources:
		var descs []sourceDescription
		for _, src := range s.opts.Engine.Catalog().Sources() {
			if (src.Kind == catalog.Table) == st.Tables {
				descs = append(descs, s.describe(ctx, src, st.Extended))
			}
		}
		if descs == nil {
			descs = []sourceDescription{}
		}
		return map[string]any{"@type": "source_descriptions", "statementText": text,
			"sourceDescriptions": descs, "warnings": []warning{}}, nil
	case *ast.DescribeFunction:
		return s.describeFunction(st.Name.Name, text)
	case *ast.Explain:
		return s.explain(st, text)
	case *ast.DescribeConnector:
		return s.describeConnector(st.Name.Name, text)
	}
	return nil, fmt.Errorf("unsupported statement %T", stmt)
}

func (s *Server) show(ctx context.Context, sess *engine.Session, st *ast.Show, text string) (any, error) {
	cat := s.opts.Engine.Catalog()
	switch st.Kind {
	case ast.ShowStreams, ast.ShowTables:
		want := catalog.Stream
		if st.Kind == ast.ShowTables {
			want = catalog.Table
		}
		if st.Extended {
			var descs []sourceDescription
			for _, src := range cat.Sources() {
				if src.Kind == want {
					descs = append(descs, s.describe(ctx, src, true))
				}
			}
			if descs == nil {
				descs = []sourceDescription{}
			}
			return map[string]any{"@type": "source_descriptions", "statementText": text,
				"sourceDescriptions": descs, "warnings": []warning{}}, nil
		}
		list := []sourceInfo{}
		for _, src := range cat.Sources() {
			if src.Kind != want {
				continue
			}
			list = append(list, sourceInfo{Type: src.Kind.String(), Name: src.Name, Topic: src.Topic,
				KeyFormat: src.KeyFormat.Name, ValueFormat: src.ValueFormat.Name, IsWindowed: src.Window != catalog.NoWindow})
		}
		key := "streams"
		if want == catalog.Table {
			key = "tables"
		}
		return map[string]any{"@type": key, "statementText": text, key: list, "warnings": []warning{}}, nil
	case ast.ShowQueries:
		qs := []runningQuery{}
		for _, q := range cat.Queries() {
			qs = append(qs, s.runningQuery(q))
		}
		return map[string]any{"@type": "queries", "statementText": text, "queries": qs, "warnings": []warning{}}, nil
	case ast.ShowTopics:
		return s.showTopics(ctx, st, text)
	case ast.ShowProperties:
		props := []property{}
		merged := maskConfig(s.opts.Config)
		for k, v := range maskConfig(sess.Props) {
			merged[k] = v
		}
		keys := make([]string, 0, len(merged))
		for k := range merged {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var overwritten []string
		for _, k := range keys {
			scope := "KSQL"
			if strings.HasPrefix(k, "ksql.streams.") {
				scope = "STREAMS"
			}
			props = append(props, property{Name: k, Scope: scope, Value: merged[k]})
			if _, ok := sess.Props[k]; ok {
				overwritten = append(overwritten, k)
			}
		}
		if overwritten == nil {
			overwritten = []string{}
		}
		return map[string]any{"@type": "properties", "statementText": text, "properties": props,
			"overwrittenProperties": overwritten, "defaultProperties": []string{}, "warnings": []warning{}}, nil
	case ast.ShowFunctions:
		type fn struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Category string `json:"category"`
		}
		fns := []fn{}
		if s.opts.Functions != nil {
			for _, f := range s.opts.Functions.List() {
				fns = append(fns, fn{Name: strings.ToUpper(f.Name), Type: f.Kind.String(), Category: f.Category})
			}
		}
		return map[string]any{"@type": "function_names", "statementText": text, "functions": fns, "warnings": []warning{}}, nil
	case ast.ShowTypes:
		ts := map[string]schemaInfo{}
		for name, t := range cat.Types() {
			ts[name] = typeSchema(t)
		}
		return map[string]any{"@type": "type_list", "statementText": text, "types": ts, "warnings": []warning{}}, nil
	case ast.ShowVariables:
		type variable struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		}
		vars := []variable{}
		for k, v := range sess.Vars {
			vars = append(vars, variable{Name: k, Value: v})
		}
		sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
		return map[string]any{"@type": "variables", "statementText": text, "variables": vars, "warnings": []warning{}}, nil
	case ast.ShowConnectors:
		return s.showConnectors(st, text)
	case ast.ShowConnectorPlugins:
		return s.showConnectorPlugins(text)
	}
	return nil, fmt.Errorf("SHOW %s is not supported", st.Kind)
}

func (s *Server) showTopics(ctx context.Context, st *ast.Show, text string) (any, error) {
	type topic struct {
		Name        string `json:"name"`
		ReplicaInfo []int  `json:"replicaInfo"`
	}
	list := []topic{}
	if s.opts.Log != nil {
		infos, err := s.opts.Log.ListTopics(ctx)
		if err != nil {
			return nil, &execError{status: http.StatusInternalServerError, code: codeServerError,
				err: fmt.Errorf("list topics: %w", err)}
		}
		for _, ti := range infos {
			// ksqlDB hides internal topics (those starting with '_')
			// unless SHOW ALL TOPICS asks for them.
			if !st.All && strings.HasPrefix(ti.Name, "_") {
				continue
			}
			reps := make([]int, ti.Partitions)
			for i := range reps {
				reps[i] = int(max(ti.Replicas, 1))
			}
			list = append(list, topic{Name: ti.Name, ReplicaInfo: reps})
		}
	}
	return map[string]any{"@type": "kafka_topics", "statementText": text, "topics": list, "warnings": []warning{}}, nil
}

func (s *Server) runningQuery(q *catalog.Query) runningQuery {
	state := q.State
	if state == "" {
		state = "RUNNING"
	}
	kind := q.Kind
	if kind == "" {
		kind = "PERSISTENT"
	}
	rq := runningQuery{QueryString: MaskSecrets(q.SQL), ID: q.ID, StatusCount: map[string]int{state: 1},
		QueryType: kind, State: state, Sinks: []string{}, SinkKafkaTopics: []string{}}
	if q.Sink != "" {
		rq.Sinks = append(rq.Sinks, q.Sink)
		if src, ok := s.opts.Engine.Catalog().Source(q.Sink); ok {
			rq.SinkKafkaTopics = append(rq.SinkKafkaTopics, src.Topic)
		}
	}
	return rq
}

func (s *Server) describe(ctx context.Context, src *catalog.Source, extended bool) sourceDescription {
	cat := s.opts.Engine.Catalog()
	d := sourceDescription{
		Name: src.Name, Fields: schemaFields(src.Schema), Type: src.Kind.String(), Timestamp: src.Timestamp,
		Extended: extended, KeyFormat: src.KeyFormat.Name, ValueFormat: src.ValueFormat.Name, Topic: src.Topic,
		Statement: MaskSecrets(src.SQL), ReadQueries: []runningQuery{}, WriteQueries: []runningQuery{},
		QueryOffsetSummaries: []any{}, SourceConstraints: []string{}, ClusterStatistics: []any{}, ClusterErrorStats: []any{},
	}
	if src.Window != catalog.NoWindow {
		w := src.Window.String()
		d.WindowType = &w
	}
	for _, q := range cat.QueriesReading(src.Name) {
		d.ReadQueries = append(d.ReadQueries, s.runningQuery(q))
	}
	for _, q := range cat.QueriesWriting(src.Name) {
		d.WriteQueries = append(d.WriteQueries, s.runningQuery(q))
	}
	if extended {
		d.Partitions, d.Replication = src.Partitions, src.Replicas
		if s.opts.Log != nil {
			if ti, err := s.opts.Log.DescribeTopic(ctx, src.Topic); err == nil {
				d.Partitions, d.Replication = ti.Partitions, ti.Replicas
			}
		}
	}
	return d
}

func (s *Server) describeFunction(name, text string) (any, error) {
	if s.opts.Functions == nil {
		return nil, fmt.Errorf("Can't find any functions with the name '%s'", name)
	}
	d, err := s.opts.Functions.Describe(name)
	if err != nil {
		return nil, fmt.Errorf("Can't find any functions with the name '%s'", name)
	}
	vs := []functionVariant{}
	for _, v := range d.Variations {
		fv := functionVariant{ReturnType: v.ReturnType, Description: v.Description, Arguments: []functionArg{}, ArgumentTypes: []string{}}
		for _, a := range v.Args {
			fv.Arguments = append(fv.Arguments, functionArg{Name: a.Name, Type: a.Type, Description: a.Description, IsVariadic: a.IsVariadic})
			fv.ArgumentTypes = append(fv.ArgumentTypes, a.Type)
		}
		vs = append(vs, fv)
	}
	return map[string]any{"@type": "describe_function", "statementText": text, "name": strings.ToUpper(d.Name),
		"description": d.Description, "author": d.Author, "version": d.Version, "path": d.Path,
		"functions": vs, "type": d.Kind.String(), "warnings": []warning{}}, nil
}

func (s *Server) explain(st *ast.Explain, text string) (any, error) {
	if st.QueryID == nil {
		return nil, errors.New("EXPLAIN of a statement is not supported yet: EXPLAIN a running query's id")
	}
	cat := s.opts.Engine.Catalog()
	id := strings.ToUpper(st.QueryID.Name)
	q, ok := cat.Query(id)
	if !ok {
		return nil, fmt.Errorf("Query with id:%s does not exist, use SHOW QUERIES to view the full set of queries.", id)
	}
	fields := []fieldInfo{}
	if src, ok := cat.Source(q.Sink); ok {
		fields = schemaFields(src.Schema)
	}
	rq := s.runningQuery(q)
	sources := q.Sources
	if sources == nil {
		sources = []string{}
	}
	desc := map[string]any{
		"id": q.ID, "statementText": MaskSecrets(q.SQL), "windowType": nil, "fields": fields,
		"sources": sources, "sinks": rq.Sinks, "topology": "", "executionPlan": "",
		"overriddenProperties": map[string]any{}, "ksqlHostQueryStatus": map[string]string{},
		"queryType": rq.QueryType, "queryErrors": []any{}, "tasksMetadata": []any{}, "state": rq.State,
	}
	return map[string]any{"@type": "queryDescription", "statementText": text, "queryDescription": desc, "warnings": []warning{}}, nil
}
