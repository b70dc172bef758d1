// The console's only way to the server: ksqlDB's REST API on the same
// origin. The API sits one path level above the console (the console is
// mounted at /console/), so every URL here is relative to "../".
const base = new URL("../", document.baseURI);

function url(path) {
  return new URL(path, base).toString();
}

// ApiError carries ksqlDB's error body so the caller can show error_code
// and message as the server wrote them.
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function readJSON(resp) {
  const text = await resp.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { message: text };
  }
}

// ksql runs statements on POST /ksql and returns ksqlDB's array of
// entities; a statement_error is thrown as an ApiError.
export async function ksql(statements, streamsProperties = {}) {
  const resp = await fetch(url("ksql"), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ ksql: statements, streamsProperties }),
  });
  const body = await readJSON(resp);
  if (!resp.ok) throw new ApiError(resp.status, body);
  return Array.isArray(body) ? body : [body];
}

export async function getJSON(path) {
  const resp = await fetch(url(path), { headers: { Accept: "application/json" } });
  const body = await readJSON(resp);
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

export async function getText(path) {
  const resp = await fetch(url(path));
  if (!resp.ok) throw new ApiError(resp.status, { message: await resp.text() });
  return resp.text();
}

export async function closeQuery(queryId) {
  const resp = await fetch(url("close-query"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ queryId }),
  });
  if (!resp.ok) throw new ApiError(resp.status, await readJSON(resp));
}

// streamQuery runs a push or pull query on POST /query-stream with the
// newline-delimited format, so each row can be shown as soon as its line
// arrives. onHeader gets the metadata object (queryId, columnNames,
// columnTypes); onRow gets each row array. It resolves when the result ends
// or signal aborts it.
export async function streamQuery(sql, properties, { onHeader, onRow, signal }) {
  const resp = await fetch(url("query-stream"), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/vnd.ksqlapi.delimited.v1" },
    body: JSON.stringify({ sql, properties }),
    signal,
  });
  if (!resp.ok) throw new ApiError(resp.status, await readJSON(resp));
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let sawHeader = false;
  const handle = (line) => {
    if (!line.trim()) return;
    const v = JSON.parse(line);
    if (!sawHeader) {
      sawHeader = true;
      onHeader(v);
    } else if (Array.isArray(v)) {
      onRow(v);
    } else if (v && v["@type"]) {
      // The server ends a failed query with an error object in place of a row.
      throw new ApiError(200, v);
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        handle(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    handle(buf + decoder.decode());
  } catch (err) {
    if (signal && signal.aborted) return;
    throw err;
  }
}
