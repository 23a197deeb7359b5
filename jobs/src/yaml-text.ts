/**
 * A small, deterministic YAML writer for generated configuration (the Databricks Asset
 * Bundle): block mappings and sequences in the value's own key order, two-space indent,
 * a final newline. Strings are written plain only when they cannot be read as anything
 * else (no indicator, no number, boolean, null or date look-alike); every other string
 * is a double-quoted scalar with JSON escapes, which YAML reads back unchanged. Pure: no
 * clock, no I/O.
 */

export type YamlValue = null | boolean | number | string | readonly YamlValue[] | { readonly [k: string]: YamlValue };

// a letter, `_`, `/`, or `./` / `../` first: never a number (`.5`, `.inf`), an indicator or a tag
const PLAIN = /^(?:[A-Za-z_/]|\.\.?\/)[A-Za-z0-9_./@+=-]*(?: [A-Za-z0-9_./@+=(),-]+)*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|null|y|n|~)$/i;
/** No reserved word is longer than `false`: longer strings skip the test. */
const isReserved = (v: string): boolean => v.length <= 5 && RESERVED.test(v);
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The scalar text of a string, number, boolean or null. */
export function yamlScalar(v: null | boolean | number | string): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`yamlScalar: ${v} has no YAML form here`);
    return String(v);
  }
  return !isReserved(v) && PLAIN.test(v) ? v : JSON.stringify(v);
}

/** Key texts: a document repeats a handful of keys thousands of times. */
const KEY_TEXTS = new Map<string, string>();
function keyText(k: string): string {
  let t = KEY_TEXTS.get(k);
  if (t === undefined) {
    t = !isReserved(k) && PLAIN_KEY.test(k) ? k : JSON.stringify(k);
    if (KEY_TEXTS.size < 10_000) KEY_TEXTS.set(k, t);
  }
  return t;
}
const isScalar = (v: YamlValue): v is null | boolean | number | string => v === null || typeof v !== 'object';
function isEmpty(v: YamlValue): boolean {
  if (isScalar(v)) return false;
  if (Array.isArray(v)) return v.length === 0;
  for (const k in v) if (Object.hasOwn(v, k)) return false;
  return true;
}
const emptyText = (v: YamlValue): string => (Array.isArray(v) ? '[]' : '{}');

/**
 * Appends the lines of `v` at `indent` to `out`; the first line starts with `first`
 * instead of `indent` (a sequence item's collection starts beside its dash). One array
 * for the whole document: no per-level arrays to build and splice.
 */
function emit(v: YamlValue, indent: string, out: string[], first = indent): void {
  if (isScalar(v)) {
    out.push(`${first}${yamlScalar(v)}`);
    return;
  }
  let prefix = first;
  if (Array.isArray(v)) {
    for (const item of v as readonly YamlValue[]) {
      if (isScalar(item) || isEmpty(item)) out.push(`${prefix}- ${isScalar(item) ? yamlScalar(item) : emptyText(item)}`);
      else emit(item, `${indent}  `, out, `${prefix}- `);
      prefix = indent;
    }
    return;
  }
  const inner = `${indent}  `;
  for (const k in v as { readonly [k: string]: YamlValue }) {
    if (!Object.hasOwn(v, k)) continue;
    const x = (v as { readonly [k: string]: YamlValue })[k]!;
    if (isScalar(x)) out.push(`${prefix}${keyText(k)}: ${yamlScalar(x)}`);
    else if (isEmpty(x)) out.push(`${prefix}${keyText(k)}: ${emptyText(x)}`);
    else {
      out.push(`${prefix}${keyText(k)}:`);
      emit(x, inner, out);
    }
    prefix = indent;
  }
}

/** A YAML document: optional leading comment lines (`# …`), then the value. */
export function yamlText(value: YamlValue, comment: readonly string[] = []): string {
  const out = comment.map((c) => (c === '' ? '#' : `# ${c}`));
  emit(value, '', out);
  // the final newline as a last empty line: one flat string, not a concatenation the writer flattens again
  if (out.length === 0) return '\n';
  out.push('');
  return out.join('\n');
}
