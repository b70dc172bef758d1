// The console's entry point: wires the editor, the live result table and
// the refreshing panels together.
import { ksql, getJSON, streamQuery, closeQuery } from "./api.js";
import { h, replace, cell, errorText } from "./dom.js";
import { entity } from "./render.js";
import { Panels } from "./panels.js";
import { isQuery, maskSecrets } from "./statement.js";

const $ = (id) => document.getElementById(id);
const HISTORY_KEY = "sluice.console.history";
const HISTORY_MAX = 100;
// A push query can run for days; the table keeps the newest rows only so
// the page stays responsive.
const MAX_ROWS = 2000;

function loadHistory() {
  try {
    const v = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

// remember keeps a statement in the history with its secrets masked: a
// connector's password typed once must not sit in localStorage.
function remember(raw) {
  const text = maskSecrets(raw);
  const list = loadHistory().filter((x) => x !== text);
  list.unshift(text);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_MAX)));
  showHistory();
}

function showHistory() {
  const sel = $("history");
  replace(sel, h("option", { value: "" }, "History…"),
    loadHistory().map((t, i) => h("option", { value: String(i) }, t.replace(/\s+/g, " ").slice(0, 80))));
}

function rows(n) {
  return n === 1 ? "1 row" : `${n} rows`;
}

let running = null; // {controller, queryId} of the live query, if any.

async function stop() {
  const r = running;
  if (!r) return;
  running = null;
  $("stop").disabled = true;
  r.controller.abort();
  if (r.queryId) {
    try {
      await closeQuery(r.queryId);
    } catch {
      // Aborting the request already ends the query on the server; the
      // close is a courtesy that may race with it.
    }
  }
  $("run-status").textContent = `stopped after ${rows(r.count)}`;
}

async function runQuery(sql, props) {
  const out = $("result");
  const controller = new AbortController();
  const r = { controller, queryId: null, count: 0 };
  running = r;
  $("stop").disabled = false;
  const tbody = h("tbody");
  const thead = h("thead");
  replace(out, h("table", { id: "rows" }, thead, tbody));
  $("run-status").textContent = "running…";
  try {
    await streamQuery(sql, props, {
      signal: controller.signal,
      onHeader: (meta) => {
        r.queryId = meta.queryId;
        replace(thead, h("tr", {}, (meta.columnNames || []).map((n, i) =>
          h("th", { title: (meta.columnTypes || [])[i] || "" }, n))));
      },
      onRow: (row) => {
        r.count++;
        tbody.append(h("tr", {}, row.map((v) => h("td", {}, cell(v)))));
        if (tbody.childElementCount > MAX_ROWS) tbody.firstElementChild.remove();
        $("run-status").textContent = `${rows(r.count)} · ${r.queryId || ""}`;
      },
    });
    if (running === r) $("run-status").textContent = `${rows(r.count)} · done`;
  } catch (err) {
    // A query the user already stopped or replaced has nothing to report.
    if (!controller.signal.aborted) {
      out.append(h("p", { class: "error" }, errorText(err)));
      $("run-status").textContent = "failed";
    }
  } finally {
    if (running === r) {
      running = null;
      $("stop").disabled = true;
    }
  }
}

async function runStatements(text, quiet = false) {
  const out = $("result");
  if (!quiet) replace(out, h("p", { class: "muted" }, "running…"));
  try {
    const entities = await ksql(text, props());
    // INSERT VALUES answers with no entities at all; say it worked.
    replace(out, entities.length ? entities.map(entity) : h("p", { class: "muted" }, "Done."));
    $("run-status").textContent = "";
  } catch (err) {
    const b = err.body || {};
    replace(out, h("p", { class: "error" }, errorText(err)),
      b.statementText ? h("pre", {}, b.statementText) : null);
    $("run-status").textContent = "failed";
  }
  panels.refresh().catch(() => {});
}

// props sends only what the user chose, so that the server's own default
// (ksql.streams.auto.offset.reset) holds otherwise, as with ksqlDB's CLI.
function props() {
  const reset = $("offset-reset").value;
  return reset ? { "auto.offset.reset": reset } : {};
}

async function run(text = $("sql").value, quiet = false) {
  text = text.trim();
  if (!text) return;
  await stop();
  if (!quiet) remember(text);
  if (isQuery(text)) return runQuery(text, props());
  return runStatements(text, quiet);
}

async function refreshStatus() {
  try {
    const info = (await getJSON("info")).KsqlServerInfo || {};
    $("server-info").textContent = `${info.ksqlServiceId || ""} · v${info.version || "?"} · ${info.serverStatus || ""}`;
  } catch (err) {
    $("server-info").textContent = "unreachable: " + errorText(err);
  }
  try {
    const hc = await getJSON("healthcheck");
    $("health").textContent = hc.isHealthy ? "healthy" : "unhealthy";
    $("health").className = "badge " + (hc.isHealthy ? "ok" : "bad");
  } catch {
    $("health").textContent = "down";
    $("health").className = "badge bad";
  }
}

const panels = new Panels({
  sources: $("sources"), queries: $("queries"), connectors: $("connectors"), topology: $("topology"),
}, {
  // Terminating a persistent query must not stop the live query on screen.
  terminate: (text) => {
    if (window.confirm(`Run ${text}`)) runStatements(text, true);
  },
  // Describing something from a panel or the graph shows it in the result
  // area without touching the editor or its history.
  describe: (text) => {
    if (!running) runStatements(text, true);
  },
  // "Query" puts a push query for a source into the editor to edit or run.
  edit: (text) => {
    $("sql").value = text;
    $("sql").focus();
  },
});

// tick refreshes on a timer that starts after the previous refresh ends, so
// a slow server never has refreshes piling up.
async function tick() {
  if ($("auto-refresh").checked && !document.hidden) {
    await Promise.all([refreshStatus(), panels.refresh().catch(() => {})]);
  }
  setTimeout(tick, 5000);
}

$("run").addEventListener("click", () => run());
$("stop").addEventListener("click", () => stop());
$("sql").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && running) stop();
});
$("history").addEventListener("change", (e) => {
  const i = e.target.value;
  if (i !== "") $("sql").value = loadHistory()[Number(i)] || "";
  e.target.value = "";
  $("sql").focus();
});
showHistory();
tick();
