package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// table prints rows under a header in ksqlDB CLI's style: columns separated
// by " | " and ruled above and below the body.
func table(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) && utf8.RuneCountInString(c) > widths[i] {
				widths[i] = utf8.RuneCountInString(c)
			}
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i > 0 {
				b.WriteString("|")
			}
			b.WriteString(" " + c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)) + " ")
		}
		return strings.TrimRight(b.String(), " ")
	}
	total := 0
	for _, wd := range widths {
		total += wd + 3
	}
	rule := strings.Repeat("-", max(total-1, 1))
	fmt.Fprintln(w, line(header))
	fmt.Fprintln(w, rule)
	for _, r := range rows {
		fmt.Fprintln(w, line(r))
	}
	fmt.Fprintln(w, rule)
}

// cell renders a JSON value as a table cell: strings bare, the rest as
// JSON, NULL for null.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		b, _ := json.Marshal(x)
		return string(b)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// printEntity renders one /ksql entity as ksqlDB's CLI does.
func printEntity(w io.Writer, raw json.RawMessage) {
	var e map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		fmt.Fprintln(w, string(raw))
		return
	}
	typ, _ := e["@type"].(string)
	list := func(key string) []map[string]any {
		arr, _ := e[key].([]any)
		out := make([]map[string]any, 0, len(arr))
		for _, x := range arr {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	switch typ {
	case "currentStatus":
		st, _ := e["commandStatus"].(map[string]any)
		msg := cell(st["message"])
		table(w, []string{"Message"}, [][]string{{msg}})
	case "streams", "tables":
		noun := "Stream"
		if typ == "tables" {
			noun = "Table"
		}
		var rows [][]string
		for _, s := range list(typ) {
			rows = append(rows, []string{cell(s["name"]), cell(s["topic"]), cell(s["keyFormat"]), cell(s["valueFormat"]), cell(s["isWindowed"])})
		}
		table(w, []string{noun + " Name", "Kafka Topic", "Key Format", "Value Format", "Windowed"}, rows)
	case "queries":
		var rows [][]string
		for _, q := range list("queries") {
			rows = append(rows, []string{cell(q["id"]), cell(q["queryType"]), cell(q["state"]),
				strings.Trim(cell(q["sinks"]), "[]\""), strings.Trim(cell(q["sinkKafkaTopics"]), "[]\""), cell(q["queryString"])})
		}
		table(w, []string{"Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String"}, rows)
		fmt.Fprintln(w, "For detailed information on a Query run: EXPLAIN <Query ID>;")
	case "kafka_topics":
		var rows [][]string
		for _, t := range list("topics") {
			reps, _ := t["replicaInfo"].([]any)
			rows = append(rows, []string{cell(t["name"]), fmt.Sprint(len(reps)), replicas(reps)})
		}
		table(w, []string{"Kafka Topic", "Partitions", "Partition Replicas"}, rows)
	case "properties":
		var rows [][]string
		for _, p := range list("properties") {
			rows = append(rows, []string{cell(p["name"]), cell(p["scope"]), cell(p["value"])})
		}
		table(w, []string{"Property", "Scope", "Value"}, rows)
	case "function_names":
		var rows [][]string
		for _, f := range list("functions") {
			rows = append(rows, []string{cell(f["name"]), cell(f["category"])})
		}
		table(w, []string{"Function Name", "Category"}, rows)
	case "describe_function":
		fmt.Fprintf(w, "Name        : %s\nAuthor      : %s\nVersion     : %s\nOverview    : %s\nType        : %s\nJar         : %s\nVariations  :\n",
			cell(e["name"]), cell(e["author"]), cell(e["version"]), cell(e["description"]), cell(e["type"]), cell(e["path"]))
		for _, f := range list("functions") {
			var args []string
			if as, ok := f["arguments"].([]any); ok {
				for _, a := range as {
					m, _ := a.(map[string]any)
					args = append(args, fmt.Sprintf("%s %s", cell(m["name"]), cell(m["type"])))
				}
			}
			fmt.Fprintf(w, "\n\tVariation   : %s(%s)\n\tReturns     : %s\n\tDescription : %s\n",
				cell(e["name"]), strings.Join(args, ", "), cell(f["returnType"]), cell(f["description"]))
		}
	case "type_list":
		ts, _ := e["types"].(map[string]any)
		names := make([]string, 0, len(ts))
		for k := range ts {
			names = append(names, k)
		}
		sort.Strings(names)
		var rows [][]string
		for _, n := range names {
			rows = append(rows, []string{n, schemaText(ts[n])})
		}
		table(w, []string{"Type Name", "Schema"}, rows)
	case "variables":
		var rows [][]string
		for _, v := range list("variables") {
			rows = append(rows, []string{cell(v["name"]), cell(v["value"])})
		}
		table(w, []string{"Variable Name", "Value"}, rows)
	case "sourceDescription":
		d, _ := e["sourceDescription"].(map[string]any)
		printSource(w, d)
	case "source_descriptions":
		for _, d := range list("sourceDescriptions") {
			printSource(w, d)
			fmt.Fprintln(w)
		}
	case "queryDescription":
		d, _ := e["queryDescription"].(map[string]any)
		fmt.Fprintf(w, "ID                   : %s\nQuery Type           : %s\nSQL                  : %s\n",
			cell(d["id"]), cell(d["queryType"]), cell(d["statementText"]))
		printFields(w, d["fields"])
		fmt.Fprintf(w, "\nSources that this query reads from: \n-----------------------------------\n%s\n", strings.Trim(cell(d["sources"]), "[]\""))
		fmt.Fprintf(w, "\nSinks that this query writes to: \n-----------------------------------\n%s\n", strings.Trim(cell(d["sinks"]), "[]\""))
	default:
		var pretty any
		_ = json.Unmarshal(raw, &pretty)
		b, _ := json.MarshalIndent(pretty, "", "  ")
		fmt.Fprintln(w, string(b))
	}
}

func replicas(reps []any) string {
	parts := make([]string, len(reps))
	for i, r := range reps {
		parts[i] = cell(r)
	}
	return strings.Join(parts, " ")
}

func printSource(w io.Writer, d map[string]any) {
	fmt.Fprintf(w, "\nName                 : %s\n", cell(d["name"]))
	if ext, _ := d["extended"].(bool); ext {
		fmt.Fprintf(w, "Type                 : %s\nTimestamp field      : %s\nKey format           : %s\nValue format         : %s\nKafka topic          : %s (partitions: %s, replication: %s)\nStatement            : %s\n",
			cell(d["type"]), orNotSet(d["timestamp"]), cell(d["keyFormat"]), cell(d["valueFormat"]), cell(d["topic"]),
			cell(d["partitions"]), cell(d["replication"]), cell(d["statement"]))
	}
	printFields(w, d["fields"])
	if ext, _ := d["extended"].(bool); !ext {
		fmt.Fprintln(w, "For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;")
	}
}

func orNotSet(v any) string {
	if s := cell(v); s != "" && s != "null" {
		return s
	}
	return "Not set - using <ROWTIME>"
}

func printFields(w io.Writer, fields any) {
	arr, _ := fields.([]any)
	var rows [][]string
	for _, f := range arr {
		m, _ := f.(map[string]any)
		t := schemaText(m["schema"])
		switch cell(m["type"]) {
		case "KEY":
			t += " (key)"
		case "HEADER":
			t += " (header)"
		}
		rows = append(rows, []string{cell(m["name"]), t})
	}
	table(w, []string{"Field", "Type"}, rows)
}

// schemaText renders a SchemaInfo as a SQL type.
func schemaText(v any) string {
	m, _ := v.(map[string]any)
	t := cell(m["type"])
	switch t {
	case "ARRAY":
		return "ARRAY<" + schemaText(m["memberSchema"]) + ">"
	case "MAP":
		return "MAP<STRING, " + schemaText(m["memberSchema"]) + ">"
	case "STRUCT":
		fs, _ := m["fields"].([]any)
		parts := make([]string, len(fs))
		for i, f := range fs {
			fm, _ := f.(map[string]any)
			parts[i] = cell(fm["name"]) + " " + schemaText(fm["schema"])
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">"
	case "DECIMAL":
		if p, ok := m["parameters"].(map[string]any); ok {
			return fmt.Sprintf("DECIMAL(%s, %s)", cell(p["precision"]), cell(p["scale"]))
		}
	case "STRING":
		return "VARCHAR(STRING)"
	}
	return t
}
