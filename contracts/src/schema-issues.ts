/**
 * Turns zod issues into located ContractIssues with a message and a remedy.
 */
import type { z } from 'zod';
import type { ContractIssue } from './errors.js';
import { closest, didYouMean, listOf } from './suggest.js';
import type { YamlSource } from './yaml-source.js';

type Path = readonly (string | number)[];

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, unknown>;
      innerType?: unknown;
      element?: unknown;
      options?: unknown[];
      discriminator?: string;
      values?: unknown[];
      in?: unknown;
    };
  };
}

function unwrap(schema: unknown): ZodInternals | undefined {
  let s = schema as ZodInternals | undefined;
  for (let i = 0; i < 10 && s; i++) {
    const def = s._zod.def;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)) s = def.innerType as ZodInternals;
    else if (def.type === 'pipe') s = def.in as ZodInternals;
    else return s;
  }
  return s;
}

function valueAt(value: unknown, path: Path): unknown {
  let v: unknown = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** The object schema that governs `path` (choosing discriminated-union options by value). */
function schemaAt(root: unknown, path: Path, value: unknown): ZodInternals | undefined {
  let s = unwrap(root);
  for (let i = 0; i <= path.length && s; i++) {
    const def = s._zod.def;
    if (def.type === 'union' && def.options) {
      const here = valueAt(value, path.slice(0, i));
      const disc = def.discriminator;
      const pick = def.options.find((o) => {
        const u = unwrap(o);
        if (u?._zod.def.type !== 'object' || !disc || here === null || typeof here !== 'object') return false;
        const lit = unwrap(u._zod.def.shape?.[disc]);
        return lit?._zod.def.values?.includes((here as Record<string, unknown>)[disc]) ?? false;
      });
      s = unwrap(pick ?? def.options[0]);
      if (!s) return undefined;
    }
    if (i === path.length) return s;
    const seg = path[i];
    const d = s._zod.def;
    if (d.type === 'object' && typeof seg === 'string') s = unwrap(d.shape?.[seg]);
    else if (d.type === 'array' && typeof seg === 'number') s = unwrap(d.element);
    else if (d.type === 'record') s = unwrap((d as unknown as { valueType: unknown }).valueType);
    else return undefined;
  }
  return s;
}

function keysOf(s: ZodInternals | undefined): string[] {
  if (!s) return [];
  if (s._zod.def.type === 'object') return Object.keys(s._zod.def.shape ?? {});
  if (s._zod.def.type === 'union') {
    const keys = new Set<string>();
    for (const o of s._zod.def.options ?? []) for (const k of keysOf(unwrap(o))) keys.add(k);
    return [...keys];
  }
  return [];
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `the ${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

export function zodIssuesToContractIssues(src: YamlSource, schema: z.ZodType, value: unknown, issues: readonly z.core.$ZodIssue[]): ContractIssue[] {
  const out: ContractIssue[] = [];
  const at = (code: string, path: Path, message: string, remedy: string, key = false): ContractIssue => {
    const pos = src.posAt(path, key);
    return { code, file: src.file, line: pos.line, column: pos.column, path: formatPath(path), message, remedy };
  };
  for (const issue of issues) {
    const path = issue.path as Path;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = keysOf(schemaAt(schema, path, value));
        for (const k of issue.keys) {
          const guess = closest(k, known);
          out.push(
            at(
              'CONTRACT_UNKNOWN_FIELD',
              [...path, k],
              `unknown field "${k}"${guess ? ` — did you mean "${guess}"?` : ''}`,
              guess ? `rename "${k}" to "${guess}"` : `remove "${k}"; allowed fields here: ${listOf(known)}`,
              true,
            ),
          );
        }
        break;
      }
      case 'invalid_type': {
        const actual = valueAt(value, path);
        const field = path[path.length - 1];
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        if (actual === undefined) {
          out.push(
            at(
              'CONTRACT_MISSING_FIELD',
              path,
              `required field "${String(field)}" is missing`,
              `add "${String(field)}:" with ${expected} to ${path.length > 1 ? `"${formatPath(path.slice(0, -1))}"` : 'the top level of the file'}`,
            ),
          );
        } else {
          out.push(at('CONTRACT_WRONG_TYPE', path, `must be ${expected}, but is ${typeName(actual)}`, `write ${expected} here`));
        }
        break;
      }
      case 'invalid_value': {
        const actual = valueAt(value, path);
        const allowed = issue.values.map((v) => String(v));
        out.push(
          at(
            'CONTRACT_INVALID_VALUE',
            path,
            `${typeName(actual)} is not allowed${typeof actual === 'string' ? didYouMean(actual, allowed) : ''}`,
            `use one of: ${listOf(allowed, 20)}`,
          ),
        );
        break;
      }
      case 'invalid_union': {
        const disc = (issue as { discriminator?: string }).discriminator;
        const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
        if (disc) {
          const p = path[path.length - 1] === disc ? path : [...path, disc];
          const actual = valueAt(value, p);
          out.push(
            at(
              actual === undefined ? 'CONTRACT_MISSING_FIELD' : 'CONTRACT_INVALID_VALUE',
              p,
              actual === undefined
                ? `required field "${disc}" is missing`
                : `${disc} ${typeof actual === 'string' ? `"${actual}"` : typeName(actual)} is not known${typeof actual === 'string' ? didYouMean(actual, options) : ''}`,
              `set "${disc}" to one of: ${listOf(options, 20)}`,
            ),
          );
        } else {
          out.push(at('CONTRACT_WRONG_TYPE', path, 'does not match any allowed form', `see the contract reference in contracts/README.md`));
        }
        break;
      }
      case 'invalid_format':
      case 'custom':
        out.push(at('CONTRACT_INVALID_VALUE', path, `${typeName(valueAt(value, path))} ${issue.message}`, remedyFor(issue.message)));
        break;
      case 'too_small':
      case 'too_big': {
        const origin = (issue as { origin?: string }).origin;
        const limit = issue.code === 'too_small' ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum;
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        const what =
          origin === 'array' ? `${word} ${String(limit)} item(s)` : origin === 'string' ? `${word} ${String(limit)} character(s)` : `${word} ${String(limit)}`;
        out.push(
          at(
            'CONTRACT_OUT_OF_RANGE',
            path,
            `must have ${what}`.replace('have at', origin === 'number' ? 'be at' : 'have at'),
            `change the value so it is ${what}`,
          ),
        );
        break;
      }
      default:
        out.push(at('CONTRACT_INVALID', path, issue.message, 'see the contract reference in contracts/README.md'));
    }
  }
  return out;
}

function remedyFor(message: string): string {
  return message.startsWith('must') ? `change the value: it ${message}` : message;
}
