// Helpers over statement text: telling a query from other statements, and
// masking secret property values before the console keeps text anywhere
// (statement history lives in localStorage, which outlasts the session).
// The secret families and the mask are the server's, so what the console
// stores matches what the server echoes.

const secretSuffixes = ["password", "secret", ".key", "user.info", "sasl.jaas.config", "credentials", "token"];
const MASKED = "'[string]'";
const propRE = /(['"`]?)([a-z0-9_.-]+)(['"`]?)(\s*=\s*)'((?:[^']|'')*)'/gi;

export function isSecretKey(key) {
  const k = key.toLowerCase();
  return secretSuffixes.some((s) => k.endsWith(s));
}

export function maskSecrets(sql) {
  return sql.replace(propRE, (m, q1, key, q2, eq) => (isSecretKey(key) ? q1 + key + q2 + eq + MASKED : m));
}

// isQuery tells a SELECT, which streams from /query-stream, from the
// statements /ksql runs. Leading comments do not count.
export function isQuery(text) {
  const stripped = text.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, "");
  return /^select\b/i.test(stripped);
}
