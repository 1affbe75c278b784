/**
 * JSON as Gson writes it by default (NOTIF Format.JSON uses `new GsonBuilder()` without
 * disableHtmlEscaping): `<`, `>`, `&`, `=`, `'` and U+2028/U+2029 become `\u003c`-style escapes.
 * Those characters only occur inside strings in JSON.stringify output, so replacing them there
 * is exact. Nulls and undefined must already be left out (Gson omits null fields).
 */
export function gsonJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&=']|\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
