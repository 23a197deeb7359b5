/**
 * How Data Factory Studio writes a dynamic value to git, per place in the factory — the
 * one rule the generator writes by and the validator checks (the table, with its sources,
 * is in pipelines/README.md, "Dynamic values as Data Factory Studio saves them").
 *
 *   expression  an activity's properties (typeProperties at any depth, dataset references'
 *               and Execute Pipeline's `parameters`) and a dataset's typeProperties: a value
 *               holding an expression is `{"value": "@…", "type": "Expression"}` (an
 *               interpolation `"…@{…}…"` likewise); a literal stays a plain string. A
 *               stored procedure parameter keeps its SQL type beside the value:
 *               `{"value": {"value": "@…", "type": "Expression"}, "type": "String"}`.
 *   plain       a trigger's pipeline parameters and a linked service's typeProperties
 *               (`linkedService().x` references): the Studio writes a plain string "@…".
 *
 * A value "holds an expression" when its template has one: it starts with `@` (not `@@`)
 * or interpolates `@{…}`. A string that does not parse is treated as one (the
 * expression-syntax rule reports why).
 */
import { parseTemplate, templateExpressions } from './expression/parse.js';

/** `{"value": "@…", "type": "Expression"}`: the Studio's object for a dynamic value. */
export interface ExpressionValue {
  readonly value: string;
  readonly type: 'Expression';
}

/** Where a dynamic value lives decides its form (see the module comment). */
export type DynamicForm = 'expression' | 'plain';

/** Whether a JSON string is a template with at least one expression (`@…`, `…@{…}…`). */
export function holdsExpression(text: string): boolean {
  if (!text.includes('@')) return false;
  try {
    return templateExpressions(parseTemplate(text)).length > 0;
  } catch {
    return true;
  }
}

/** Whether `v` is exactly `{"value": <string>, "type": "Expression"}` (the two keys, nothing else). */
export function isExpressionObject(v: unknown): v is ExpressionValue {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    (v as Record<string, unknown>)['type'] === 'Expression' &&
    typeof (v as Record<string, unknown>)['value'] === 'string' &&
    Object.keys(v).length === 2
  );
}

/**
 * The one helper for every value the generator writes where the Studio uses Expression
 * objects: a text holding an expression becomes `{"value", "type": "Expression"}`, a
 * literal stays the plain string.
 */
export function dynamic(text: string): ExpressionValue | string {
  return holdsExpression(text) ? { value: text, type: 'Expression' } : text;
}

/** A trigger's pipeline parameter value: the Studio writes a plain string, expression or not. */
export function triggerParameter(text: string): string {
  return text;
}

/** A SqlServerStoredProcedure parameter as the Studio writes it: value (dynamic or literal), then its SQL type. */
export function storedProcedureParameter(text: string, type: string): { readonly value: ExpressionValue | string; readonly type: string } {
  return { value: dynamic(text), type };
}
