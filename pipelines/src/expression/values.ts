/** Values of the expression language and the evaluation error (shared by the evaluator and the functions). */
import { StreamPulseError } from '@streampulse/contracts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** An evaluation error: the expression is well-formed, but a function or an access failed. */
export class ExpressionEvalError extends StreamPulseError {
  constructor(
    readonly column: number,
    message: string,
    remedy: string,
  ) {
    super('ADF_EXPRESSION_EVAL', `at column ${column}: ${message}`, { remedy });
    this.name = 'ExpressionEvalError';
  }
}

export function typeName(v: Json | undefined): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return 'Object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Float';
  if (typeof v === 'string') return 'String';
  return 'Boolean';
}

/** The string form ADF uses for interpolation and `string()`: objects and arrays as JSON. */
export function stringify(v: Json | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return v === true ? 'True' : v === false ? 'False' : String(v);
  return JSON.stringify(v);
}
