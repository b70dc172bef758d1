// Masks secret property values in statement text before the console keeps
// it anywhere (statement history lives in localStorage, which outlasts the
// session). The families and the mask are the server's, so what the
// console stores matches what the server echoes.

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
