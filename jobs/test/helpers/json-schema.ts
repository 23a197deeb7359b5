/**
 * The JSON-Schema keywords the fixtures under jobs/test/fixtures use (type, enum,
 * required, properties, additionalProperties, items, min/maxItems, maxProperties,
 * minimum/maximum, min/maxLength, pattern, and `$ref` to the document's own `$defs`);
 * every problem as `path: message`. Enough to make a misspelt key fail a test.
 */
export interface Schema {
  $ref?: string;
  $defs?: Record<string, Schema>;
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export function validate(value: unknown, schema: Schema, path = '$', root: Schema = schema): string[] {
  if (schema.$ref !== undefined) {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : root.$defs?.[name];
    if (target === undefined) throw new Error(`schema: unresolved $ref ${schema.$ref}`);
    return validate(value, target, path, root);
  }
  const out: string[] = [];
  const t = Array.isArray(value) ? 'array' : value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) return [`${path}: expected ${schema.type}, got ${t}`];
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) out.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => out.push(...validate(v, schema.items!, `${path}[${i}]`, root)));
  }
  if (t === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) out.push(`${path}: missing required "${r}"`);
    if (schema.maxProperties !== undefined && Object.keys(o).length > schema.maxProperties) out.push(`${path}: more than ${schema.maxProperties} properties`);
    for (const [k, v] of Object.entries(o)) {
      const p = schema.properties?.[k];
      if (p) out.push(...validate(v, p, `${path}.${k}`, root));
      else if (schema.additionalProperties === false) out.push(`${path}: unknown field "${k}"`);
      else if (typeof schema.additionalProperties === 'object') out.push(...validate(v, schema.additionalProperties, `${path}.${k}`, root));
    }
  }
  return out;
}
