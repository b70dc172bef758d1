// The status panels: sources, persistent queries, connectors and the
// topology graph, all rebuilt from one snapshot of the server per refresh.
import { ksql, getText } from "./api.js";
import { h, table, replace, errorText } from "./dom.js";
import { fieldsTable, connectorDescription } from "./render.js";
import { parse, Rates, fmtRate } from "./metrics.js";
import { graph, render } from "./topology.js";

function quote(name) {
  return "`" + String(name).replace(/`/g, "``") + "`";
}

function ofType(entities, type) {
  return entities.find((e) => e["@type"] === type);
}

// loadSources prefers the EXTENDED listings, which carry schemas and the
// queries that read and write each source; a server without them still
// gets names from the plain listings.
async function loadSources() {
  try {
    const es = await ksql("SHOW STREAMS EXTENDED; SHOW TABLES EXTENDED;");
    return es.flatMap((e) => e.sourceDescriptions || []);
  } catch {
    const es = await ksql("SHOW STREAMS; SHOW TABLES;");
    return es.flatMap((e) => (e.streams || []).concat(e.tables || []).map((s) => ({ ...s, fields: null })));
  }
}

// loadQueries returns queries with the sources they read. SHOW QUERIES
// EXTENDED says so directly; otherwise the sources' readQueries do.
async function loadQueries(sources) {
  let list;
  try {
    const qd = ofType(await ksql("SHOW QUERIES EXTENDED;"), "query_descriptions");
    if (qd) list = qd.queryDescriptions.map((q) => ({ ...q, queryString: q.statementText }));
  } catch {
    // Fall through to the plain listing.
  }
  if (!list) {
    const q = ofType(await ksql("SHOW QUERIES;"), "queries");
    list = (q ? q.queries : []).map((x) => ({ ...x }));
  }
  for (const q of list) {
    if (!q.state && q.statusCount) q.state = Object.keys(q.statusCount)[0];
    if (q.sources && q.sources.length) continue;
    q.sources = sources.filter((s) => (s.readQueries || []).some((r) => r.id === q.id)).map((s) => s.name);
  }
  return list;
}

// loadConnectors lists connectors and describes them all in one request,
// for their tasks and topics. Connector configs are never requested, so
// no secret can reach the page.
async function loadConnectors() {
  const cl = ofType(await ksql("SHOW CONNECTORS;"), "connector_list");
  const list = cl ? cl.connectors : [];
  if (list.length === 0) return [];
  let descs = [];
  try {
    descs = await ksql(list.map((c) => `DESCRIBE CONNECTOR ${quote(c.name)};`).join("\n"));
  } catch {
    // Listing without details is better than no listing.
  }
  return list.map((c) => {
    const d = descs.find((x) => x["@type"] === "connector_description" && x.status && x.status.name === c.name);
    return { ...c, description: d, topics: d ? d.topics : [] };
  });
}

export class Panels {
  // actions holds the callbacks the panels' buttons use: terminate,
  // describe and edit, each taking statement text.
  constructor(el, actions) {
    this.el = el;
    this.actions = actions;
    this.rates = new Rates();
  }

  async refresh() {
    const [sources, connectors, metrics] = await Promise.all([
      settle(loadSources()), settle(loadConnectors()), settle(getText("metrics").then(parse)),
    ]);
    const srcList = sources.ok ? sources.value : [];
    const queries = await settle(loadQueries(srcList));
    const stats = metrics.ok ? this.rates.update(metrics.value) : new Map();
    this.renderSources(sources);
    this.renderQueries(queries, stats);
    this.renderConnectors(connectors, stats);
    replace(this.el.topology, render(graph(srcList, queries.ok ? queries.value : [], connectors.ok ? connectors.value : []),
      (node) => this.actions.describe(describeNode(node))));
  }

  renderSources(r) {
    if (!r.ok) return replace(this.el.sources, h("p", { class: "error" }, errorText(r.error)));
    if (r.value.length === 0) return replace(this.el.sources, h("p", { class: "muted" }, "No streams or tables."));
    keepOpen(this.el.sources, () => replace(this.el.sources, r.value.map((s) => h("details", { "data-name": s.name },
      h("summary", {}, h("b", {}, s.name), ` ${s.type || ""} · ${s.topic || ""} · ${s.keyFormat || ""}/${s.valueFormat || ""}`),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => this.actions.edit(`SELECT * FROM ${quote(s.name)} EMIT CHANGES;`) }, "Query"),
        h("button", { type: "button", onclick: () => this.actions.describe(`DESCRIBE ${quote(s.name)} EXTENDED;`) }, "Describe")),
      s.fields ? fieldsTable(s.fields) : h("p", { class: "muted" }, "schema unavailable")))));
  }

  renderQueries(r, stats) {
    if (!r.ok) return replace(this.el.queries, h("p", { class: "error" }, errorText(r.error)));
    if (r.value.length === 0) return replace(this.el.queries, h("p", { class: "muted" }, "No persistent queries."));
    replace(this.el.queries, table(["Query", "State", "Reads", "Writes", "in/s", "out/s", ""],
      r.value.map((q) => {
        const st = stats.get("query:" + q.id) || {};
        return [h("a", { href: "#", title: q.queryString || q.statementText || "", onclick: (e) => {
          e.preventDefault();
          this.actions.describe(`EXPLAIN ${q.id};`);
        } }, q.id), h("span", { class: "state-" + q.state }, q.state || ""), (q.sources || []).join(", "),
          (q.sinks || []).join(", "), fmtRate(st.inRate), fmtRate(st.outRate),
          h("button", { class: "danger", type: "button", onclick: () => this.actions.terminate(`TERMINATE ${q.id};`) }, "Terminate")];
      }), [4, 5]));
  }

  renderConnectors(r, stats) {
    if (!r.ok) return replace(this.el.connectors, h("p", { class: "muted" }, errorText(r.error)));
    if (r.value.length === 0) return replace(this.el.connectors, h("p", { class: "muted" }, "No connectors."));
    keepOpen(this.el.connectors, () => replace(this.el.connectors, r.value.map((c) => {
      const st = stats.get("connector:" + c.name) || {};
      const tasks = c.description && c.description.status ? c.description.status.tasks || [] : [];
      const running = tasks.filter((t) => t.state === "RUNNING").length;
      return h("details", { "data-name": c.name },
        h("summary", {}, h("b", {}, c.name), ` ${c.type || ""} · `, h("span", { class: "state-" + c.state }, c.state || "?"),
          ` · tasks ${running}/${tasks.length} · ${fmtRate(st.outRate ?? st.inRate)} rec/s · lag ${st.lag ?? "–"}`),
        h("p", { class: "muted" }, c.className || ""),
        c.description ? connectorDescription(c.description) : null);
    })));
  }
}

// describeNode is the statement that shows a graph node in full.
function describeNode(node) {
  const name = node.id.slice(2);
  switch (node.id[0]) {
    case "s": return `DESCRIBE ${quote(name)} EXTENDED;`;
    case "q": return `EXPLAIN ${name};`;
    case "c": return `DESCRIBE CONNECTOR ${quote(name)};`;
    default: return "SHOW TOPICS;"; // Topics are not clickable; this is only a safe answer.
  }
}

// keepOpen rebuilds a panel without collapsing the entries the user opened.
function keepOpen(el, rebuild) {
  const open = new Set([...el.querySelectorAll("details[open]")].map((d) => d.dataset.name));
  rebuild();
  for (const d of el.querySelectorAll("details")) d.open = open.has(d.dataset.name);
}

async function settle(p) {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}
