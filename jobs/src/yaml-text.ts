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
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The scalar text of a string, number, boolean or null. */
export function yamlScalar(v: null | boolean | number | string): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`yamlScalar: ${v} has no YAML form here`);
    return String(v);
  }
  return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
}

const keyText = (k: string): string => (PLAIN_KEY.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k));
const isScalar = (v: YamlValue): v is null | boolean | number | string => v === null || typeof v !== 'object';
const isEmpty = (v: YamlValue): boolean => !isScalar(v) && (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);
const emptyText = (v: YamlValue): string => (Array.isArray(v) ? '[]' : '{}');

function lines(v: YamlValue, indent: string): string[] {
  if (isScalar(v)) return [`${indent}${yamlScalar(v)}`];
  if (Array.isArray(v)) {
    return (v as readonly YamlValue[]).flatMap((item) => {
      if (isScalar(item) || isEmpty(item)) return [`${indent}- ${isScalar(item) ? yamlScalar(item) : emptyText(item)}`];
      const inner = lines(item, `${indent}  `);
      // the item's first line moves up beside the dash
      return [`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1)];
    });
  }
  return Object.entries(v as { readonly [k: string]: YamlValue }).flatMap(([k, x]) => {
    if (isScalar(x)) return [`${indent}${keyText(k)}: ${yamlScalar(x)}`];
    if (isEmpty(x)) return [`${indent}${keyText(k)}: ${emptyText(x)}`];
    return [`${indent}${keyText(k)}:`, ...lines(x, `${indent}  `)];
  });
}

/** A YAML document: optional leading comment lines (`# …`), then the value. */
export function yamlText(value: YamlValue, comment: readonly string[] = []): string {
  return `${[...comment.map((c) => (c === '' ? '#' : `# ${c}`)), ...lines(value, '')].join('\n')}\n`;
}
