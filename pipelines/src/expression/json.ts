/**
 * `json('<text>')`: JSON text to a value, keeping Integer and Float apart as the service's
 * JSON reader (Newtonsoft.Json) does: a number written with a decimal point or an exponent
 * is a Float (`1.0`, `2.5`, `1e3`), one without is an Integer (`1`). Like that reader, it
 * also accepts single-quoted strings (`{'a': 'b'}`). `JSON.parse` cannot do this: it reads
 * `1.0` as 1.
 */
import { Float, type Value } from './values.js';

export class JsonTextError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(`${message} at character ${offset + 1}`);
  }
}

export function parseJsonText(text: string): Value {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const fail = (what: string): never => {
    throw new JsonTextError(i, i >= text.length ? `expected ${what}, found the end of the text` : `expected ${what}, found '${text[i]}'`);
  };
  const stringLit = (): string => {
    const q = text[i] as string;
    i++;
    let s = '';
    for (;;) {
      if (i >= text.length) fail(`a closing ${q}`);
      const c = text[i] as string;
      if (c === q) {
        i++;
        return s;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          s += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          s += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          i++;
          fail('an escape sequence');
        }
        continue;
      }
      s += c;
      i++;
    }
  };
  const value = (): Value => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [k: string]: Value } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"' && text[i] !== "'") fail('a property name in quotes');
        const k = stringLit();
        ws();
        if (text[i] !== ':') fail("':'");
        i++;
        out[k] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        fail("',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const out: Value[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        fail("',' or ']'");
      }
    }
    if (c === '"' || c === "'") return stringLit();
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (m !== null && m[0] !== '-') {
      i += m[0].length;
      const n = Number(m[0]);
      return m[1] !== undefined || m[2] !== undefined ? new Float(n) : n;
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail('a JSON value');
  };
  const v = value();
  ws();
  if (i < text.length) fail('the end of the text');
  return v;
}
