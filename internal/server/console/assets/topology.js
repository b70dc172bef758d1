// Draws the pipeline as inline SVG: connectors feed topics and sources,
// queries read sources and write sources, sink connectors read topics.
// Nodes are placed in columns by their longest path from a root, so data
// flows left to right.

const NS = "http://www.w3.org/2000/svg";
const NODE_W = 168, NODE_H = 34, COL_GAP = 56, ROW_GAP = 12, PAD = 10;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// graph builds nodes and edges from what the panels already fetched:
// sources [{name, type, topic}], queries [{id, sources, sinks, state}],
// connectors [{name, type, state, topics}].
export function graph(sources, queries, connectors) {
  const nodes = new Map();
  const edges = [];
  const add = (id, label, kind, sub) => {
    if (!nodes.has(id)) nodes.set(id, { id, label, kind, sub });
    return id;
  };
  const byTopic = new Map();
  for (const src of sources) {
    const kind = String(src.type).toUpperCase() === "TABLE" ? "table" : "stream";
    add("s:" + src.name, src.name, kind, kind);
    if (src.topic) {
      if (!byTopic.has(src.topic)) byTopic.set(src.topic, []);
      byTopic.get(src.topic).push("s:" + src.name);
    }
  }
  const source = (name) => add("s:" + name, name, "stream", "source");
  for (const q of queries) {
    const id = add("q:" + q.id, q.id, "query", q.state || "query");
    for (const name of q.sources || []) edges.push([source(name), id]);
    for (const name of q.sinks || []) edges.push([id, source(name)]);
  }
  for (const c of connectors) {
    const sink = String(c.type).toUpperCase() === "SINK";
    const id = add("c:" + c.name, c.name, "connector", (sink ? "sink" : "source") + " connector");
    for (const topic of c.topics || []) {
      const targets = byTopic.get(topic) || [add("t:" + topic, topic, "topic", "topic")];
      for (const t of targets) edges.push(sink ? [t, id] : [id, t]);
    }
  }
  return { nodes: [...nodes.values()], edges };
}

// layers gives each node a column: its longest path from a root, so data
// flows left to right. A root (a connector, or a source nobody writes) is
// then pulled right to sit just before its first consumer, so that its
// edges do not cross the columns in between.
function layers(nodes, edges) {
  const incoming = new Map(nodes.map((n) => [n.id, []]));
  const outgoing = new Map(nodes.map((n) => [n.id, []]));
  for (const [a, b] of edges) {
    incoming.get(b).push(a);
    outgoing.get(a).push(b);
  }
  const depth = new Map();
  const visiting = new Set();
  const walk = (id) => {
    if (depth.has(id)) return depth.get(id);
    if (visiting.has(id)) return 0; // A cycle (a query writing what it reads) breaks here.
    visiting.add(id);
    let d = 0;
    for (const p of incoming.get(id)) d = Math.max(d, walk(p) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of nodes) walk(n.id);
  for (const n of nodes) {
    const next = outgoing.get(n.id);
    if (incoming.get(n.id).length === 0 && next.length > 0) {
      depth.set(n.id, Math.max(0, Math.min(...next.map((b) => depth.get(b))) - 1));
    }
  }
  return { depth, incoming };
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

// render returns an SVG element for the graph, or a short note when there
// is nothing to draw. onSelect, if given, is called with a clicked node.
export function render({ nodes, edges }, onSelect) {
  if (nodes.length === 0) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "No sources, queries or connectors yet.";
    return p;
  }
  const { depth, incoming } = layers(nodes, edges);
  const cols = [];
  for (const n of nodes) {
    const d = depth.get(n.id);
    (cols[d] = cols[d] || []).push(n);
  }
  const pos = new Map();
  let height = 0;
  // Within a column, a node sits near the mean row of what feeds it,
  // which keeps most edges short and level; ties go by name.
  const rowOf = new Map();
  const mean = (n) => {
    const ys = incoming.get(n.id).map((p) => rowOf.get(p)).filter((y) => y !== undefined);
    return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
  };
  cols.forEach((col, x) => {
    col.sort((a, b) => mean(a) - mean(b) || a.label.localeCompare(b.label));
    col.forEach((n, y) => rowOf.set(n.id, y));
    col.forEach((n, y) => {
      pos.set(n.id, { x: PAD + x * (NODE_W + COL_GAP), y: PAD + y * (NODE_H + ROW_GAP) });
    });
    height = Math.max(height, col.length);
  });
  const w = PAD * 2 + cols.length * (NODE_W + COL_GAP) - COL_GAP;
  const hgt = PAD * 2 + height * (NODE_H + ROW_GAP) - ROW_GAP;
  const svg = s("svg", { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": "Pipeline topology" });
  svg.append(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8c959f" }))));
  for (const [a, b] of edges) {
    const p = pos.get(a), q = pos.get(b);
    const x1 = p.x + NODE_W, y1 = p.y + NODE_H / 2, x2 = q.x, y2 = q.y + NODE_H / 2;
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    svg.append(s("path", { class: "edge", d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
  }
  for (const n of nodes) {
    const { x, y } = pos.get(n.id);
    const title = s("title");
    title.textContent = `${n.label} (${n.sub})`;
    const name = s("text", { x: x + 8, y: y + 14 });
    name.textContent = clip(n.label, 24);
    const sub = s("text", { x: x + 8, y: y + 28, fill: "#6b7585" });
    sub.textContent = clip(n.sub, 26);
    const g = s("g", { class: `node ${n.kind}`, "data-id": n.id }, title,
      s("rect", { x, y, width: NODE_W, height: NODE_H }), name, sub);
    if (onSelect && n.kind !== "topic") g.addEventListener("click", () => onSelect(n));
    svg.append(g);
  }
  return svg;
}
