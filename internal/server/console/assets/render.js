// Renders the entities POST /ksql returns, by their ksqlDB "@type". Types
// the console does not know are shown as JSON, so nothing is hidden.
import { h, table } from "./dom.js";

function typeName(schema) {
  if (!schema) return "";
  switch (schema.type) {
    case "ARRAY": return `ARRAY<${typeName(schema.memberSchema)}>`;
    case "MAP": return `MAP<STRING, ${typeName(schema.memberSchema)}>`;
    case "STRUCT": return `STRUCT<${(schema.fields || []).map((f) => `${f.name} ${typeName(f.schema)}`).join(", ")}>`;
    case "DECIMAL": {
      const p = schema.parameters || {};
      return p.precision !== undefined ? `DECIMAL(${p.precision}, ${p.scale})` : "DECIMAL";
    }
    default: return schema.type;
  }
}

// fieldsTable shows a source's or query's columns with ksqlDB's type names
// and marks key and header columns.
export function fieldsTable(fields) {
  return table(["Column", "Type", ""], (fields || []).map((f) => [
    f.name, typeName(f.schema), f.type === "KEY" ? "(key)" : f.type === "HEADER" ? "(header)" : "",
  ]));
}

function sourceDescription(d) {
  return h("div", {},
    h("h3", {}, `${d.type || ""} ${d.name}`),
    h("p", { class: "muted" }, `topic ${d.topic || "?"} · key ${d.keyFormat || "?"} · value ${d.valueFormat || "?"}` +
      (d.windowType ? ` · ${d.windowType} window` : "")),
    fieldsTable(d.fields),
    d.statement ? h("pre", {}, d.statement) : null);
}

function queryDescription(q) {
  return h("div", {},
    h("h3", {}, `${q.id} ${q.state ? "(" + q.state + ")" : ""}`),
    h("p", { class: "muted" }, `reads ${(q.sources || []).join(", ") || "–"} · writes ${(q.sinks || []).join(", ") || "–"}`),
    h("pre", {}, q.statementText || ""),
    fieldsTable(q.fields));
}

export function connectorDescription(c) {
  const st = c.status || {};
  const tasks = st.tasks || [];
  return h("div", {},
    h("p", {}, h("b", {}, st.name || ""), " ", c.connectorClass || "", " · ",
      h("span", { class: "state-" + ((st.connector || {}).state || "") }, (st.connector || {}).state || "?")),
    tasks.length ? table(["Task", "State", "Worker", "Trace"], tasks.map((t) => [
      String(t.id), h("span", { class: "state-" + t.state }, t.state), t.worker_id || "", t.trace || "",
    ])) : h("p", { class: "muted" }, "no tasks"),
    (c.topics || []).length ? h("p", { class: "muted" }, "topics: " + c.topics.join(", ")) : null);
}

const renderers = {
  currentStatus: (e) => h("p", {}, h("b", {}, e.commandStatus.status), ": ", e.commandStatus.message,
    e.commandStatus.queryId ? ` (query ${e.commandStatus.queryId})` : ""),
  streams: (e) => table(["Stream", "Topic", "Key format", "Value format", "Windowed"],
    e.streams.map((s) => [s.name, s.topic, s.keyFormat, s.valueFormat, String(!!s.isWindowed)])),
  tables: (e) => table(["Table", "Topic", "Key format", "Value format", "Windowed"],
    e.tables.map((s) => [s.name, s.topic, s.keyFormat, s.valueFormat, String(!!s.isWindowed)])),
  queries: (e) => table(["Query", "Type", "State", "Sinks", "Statement"],
    e.queries.map((q) => [q.id, q.queryType || "", q.state || "", (q.sinks || []).join(", "), q.queryString])),
  sourceDescription: (e) => sourceDescription(e.sourceDescription),
  source_descriptions: (e) => h("div", {}, e.sourceDescriptions.map(sourceDescription)),
  queryDescription: (e) => queryDescription(e.queryDescription),
  query_descriptions: (e) => h("div", {}, e.queryDescriptions.map(queryDescription)),
  connector_list: (e) => table(["Connector", "Type", "Class", "State"],
    e.connectors.map((c) => [c.name, c.type, c.className, c.state])),
  connector_description: connectorDescription,
  properties: (e) => table(["Property", "Scope", "Value"], e.properties.map((p) => [p.name, p.scope, p.value])),
  kafka_topics: (e) => table(["Topic", "Partitions"], e.topics.map((t) => [t.name, String((t.replicaInfo || []).length)])),
  function_names: (e) => table(["Function", "Type", "Category"], e.functions.map((f) => [f.name, f.type, f.category])),
  type_list: (e) => table(["Type", "Schema"], Object.entries(e.types || {}).map(([k, v]) => [k, typeName(v)])),
  variables: (e) => table(["Variable", "Value"], e.variables.map((v) => [v.name, v.value])),
};

// entity renders one /ksql result entity with its warnings.
export function entity(e) {
  const r = renderers[e["@type"]];
  let body;
  try {
    body = r ? r(e) : h("pre", {}, JSON.stringify(e, null, 2));
  } catch {
    // A shape the renderer did not expect is still worth seeing raw.
    body = h("pre", {}, JSON.stringify(e, null, 2));
  }
  const warnings = (e.warnings || []).map((w) => h("p", { class: "error" }, "warning: " + w.message));
  return h("div", { class: "entity" }, body, warnings);
}

export { typeName };
