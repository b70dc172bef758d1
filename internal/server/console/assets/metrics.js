// Reads the Prometheus text from /metrics into per-query and per-connector
// figures. The console does not hard-code metric names beyond their shape:
// any counter whose name mentions "records" and ends in _total counts
// towards a rate, and any series whose name mentions "lag" counts as lag,
// attributed by its query_id or connector label.

const lineRE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const labelRE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parse(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = lineRE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(labelRE)) labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function owner(labels) {
  if (labels.query_id) return "query:" + labels.query_id;
  if (labels.connector) return "connector:" + labels.connector;
  return null;
}

// Rates remembers the previous scrape so that counters become per-second
// rates; the first scrape has no rates yet.
export class Rates {
  constructor() {
    this.prev = null;
    this.prevAt = 0;
  }

  // update takes a scrape and returns a Map from "query:ID" or
  // "connector:NAME" to {inRate, outRate, lag}.
  update(samples, now = Date.now()) {
    const totals = new Map();
    const stats = new Map();
    const get = (k) => {
      if (!stats.has(k)) stats.set(k, { inRate: null, outRate: null, lag: null });
      return stats.get(k);
    };
    for (const s of samples) {
      const who = owner(s.labels);
      if (!who || !Number.isFinite(s.value)) continue;
      if (/lag/.test(s.name)) {
        const st = get(who);
        st.lag = (st.lag || 0) + s.value;
      } else if (/records/.test(s.name) && s.name.endsWith("_total")) {
        const dir = /_in_|_consumed_|_read_/.test(s.name) ? "in" : "out";
        const key = who + "|" + dir;
        totals.set(key, (totals.get(key) || 0) + s.value);
        get(who);
      }
    }
    if (this.prev && now > this.prevAt) {
      const dt = (now - this.prevAt) / 1000;
      for (const [key, v] of totals) {
        const [who, dir] = key.split("|");
        const before = this.prev.get(key);
        if (before === undefined || v < before) continue;
        get(who)[dir === "in" ? "inRate" : "outRate"] = (v - before) / dt;
      }
    }
    this.prev = totals;
    this.prevAt = now;
    return stats;
  }
}

export function fmtRate(r) {
  if (r === null || r === undefined) return "–";
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}
