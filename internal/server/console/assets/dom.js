// Small DOM helpers. Every piece of server text goes in through
// textContent, never innerHTML, so rows and statements cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// cell renders one value: strings as they are, everything else as JSON, so
// nested structs and arrays stay readable.
export function cell(v) {
  if (v === null || v === undefined) return h("span", { class: "muted" }, "null");
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

export function table(headers, rows, numeric = []) {
  return h("table", {},
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((v, i) => h("td", { class: numeric.includes(i) ? "num" : null }, v instanceof Node ? v : cell(v)))))));
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export function errorText(err) {
  const b = err && err.body;
  if (b && b.error_code) return `${b.error_code}: ${b.message}`;
  return String((err && err.message) || err);
}
