/**
 * The two YAML readers of YamlSource mean the same (issue 22, scale): the fast js-yaml
 * read is taken only where it yields exactly what the positioned `yaml` Document yields,
 * and every other text gets the `yaml` result — syntax errors and all. The reference is
 * the loader's reading before the fast path: `parseDocument` with uniqueKeys and
 * `toJS({ maxAliasCount: 100 })`. Every YAML file of the repository is read both ways;
 * the synthetic contracts of the benchmark are in cli/test/bench-generate.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { fastParseYaml, YamlSource } from '@streampulse/contracts';

const ROOT = process.cwd();

interface Reading {
  readonly errors: { message: string; pos: { line: number; column: number }; duplicateKey: boolean }[];
  readonly value?: unknown;
  readonly thrown?: string;
}

/** What YamlSource did before the fast path: the `yaml` Document only. */
function reference(text: string): Reading {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors = doc.errors.map((e) => {
    const p = lines.linePos(e.pos[0]);
    return { message: e.message.split('\n')[0] ?? e.message, pos: { line: p.line, column: p.col }, duplicateKey: e.code === 'DUPLICATE_KEY' };
  });
  if (errors.length > 0) return { errors };
  try {
    return { errors, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    return { errors, thrown: (e as Error).message };
  }
}

function reading(text: string): Reading {
  const src = new YamlSource('x.yaml', text);
  const errors = src.syntaxErrors();
  if (errors.length > 0) return { errors };
  try {
    return { errors, value: src.toJS() };
  } catch (e) {
    return { errors, thrown: (e as Error).message };
  }
}

/** Asserts YamlSource reads `text` as the reference does; returns whether the fast read applied. */
function expectSameReading(text: string): boolean {
  const ref = reference(text);
  expect(reading(text)).toStrictEqual(ref);
  const fast = fastParseYaml(text);
  if (fast !== undefined) {
    // The fast read is only ever taken for a text `yaml` reads without an error.
    expect(ref.errors).toStrictEqual([]);
    expect(fast.value).toStrictEqual(ref.value);
  }
  return fast !== undefined;
}

describe('YamlSource: the fast read and the positioned Document agree', () => {
  it('on every YAML file of the repository (contracts, fixtures, tests, workflows, lockfile)', () => {
    const files = execFileSync('git', ['ls-files', '-z', '--', '*.yaml', '*.yml'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '');
    expect(files.length).toBeGreaterThan(50);
    const fastFiles: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      if (expectSameReading(text)) fastFiles.push(f);
    }
    // The fast read is the common case, not an exception: the shipped dataset contracts take it.
    expect(fastFiles.length).toBeGreaterThan(files.length / 2);
    expect(fastFiles).toEqual(expect.arrayContaining(['contracts/streampulse/datasets/users.yaml']));
  }, 120_000);

  // [case, text, whether the fast read applies]
  const CASES: [string, string, boolean][] = [
    ['core schema: yes/no/on/off stay strings', 'a: yes\nb: no\non: off\ny: n', true],
    ['core schema: true/True/TRUE are booleans, tRue a string', 'a: true\nb: True\nc: TRUE\nd: tRue', true],
    ['core schema: ~, null, Null, NULL and empty are null', 'a: ~\nb: null\nc: Null\nd: NULL\ne:', true],
    ['core schema: 1e3, 1E3, +1e3, 0.1e+2, 1., .5, -.5 are floats', 'a: 1e3\nb: 1E3\nc: +1e3\nd: 0.1e+2\ne: 1.\nf: .5\ng: -.5', true],
    ['core schema: 0x1F and 0o17 are ints; 0X1F, 0b101, 1_000, 1:20 strings', 'a: 0x1F\nb: 0o17\nc: 0X1F\nd: 0b101\ne: 1_000\nf: 1:20', true],
    ['core schema: 007 and 08 are decimal, -0 is negative zero', 'a: 007\nb: 08\nc: -0\nd: +12', true],
    ['core schema: .inf, -.Inf, +.inf, .NaN', 'a: .inf\nb: -.Inf\nc: +.inf\nd: .NaN', true],
    ['core schema: dates and timestamps stay strings', 'a: 2024-01-01\nb: 2024-01-01T10:00:00Z\nc: 2024-01-01 10:00:00.5 +01:00', true],
    ['merge keys are off: << is an ordinary key', '<<: {a: 1}\nb: 2', true],
    ['__proto__ is an own key', '__proto__: x\na: 1', true],
    [
      'scalars: block, folded, chomping, quoted escapes, line folding',
      'a: |-\n  x\n  y\nb: >\n  x\n  y\n\n  z\nc: |+\n  x\n\nd: "\\u00e9\\x41\\N"\ne: \'it\'\'s\'\nf: "x\n  y"\ng: x\n  y\n',
      true,
    ],
    ['flow collections, trailing comma, key without value', 'a: [1, 2,]\nb: {c: 1, d}\nc: [x: y]', true],
    ['CRLF line ends and a byte order mark', '\uFEFFa: b\r\nc: d\r\n', true],
    ['number and boolean keys take the yaml path (string keys only on the fast read)', '1: a\n2.0: b\ntrue: c', false],
    ['a null key becomes "" in yaml, so it takes the yaml path', '~: a\nb: 1', false],
    ['duplicate key: the yaml error, flagged as a duplicate', 'a: 1\nb: 2\na: 3', false],
    ['duplicate key nested in a sequence', 'a:\n  - b: 1\n    b: 2', false],
    ['1 and "1" are different keys for yaml, duplicates for js-yaml', '1: a\n"1": b', false],
    ['anchors and aliases', 'a: &x {b: 1}\nc: *x\nd: *x', false],
    ['more aliases than the limit throw as before', `a: &a [x, x]\nb: &b [${Array(11).fill('*a').join(', ')}]\nc: [${Array(11).fill('*b').join(', ')}]`, false],
    ['explicit and unknown tags', 'a: !!str 1\nb: !!int "12"\nc: !foo x', false],
    ['a %YAML 1.1 directive switches yaml to yes/no booleans', '%YAML 1.1\n---\na: yes', false],
    ['several documents are an error', 'a: 1\n---\nb: 2', false],
    ['an empty file is null', '', false],
    ['a comment only is null', '# nothing\n', false],
    ['a sequence is not a mapping', '- a\n- b', false],
    ['a scalar is not a mapping', 'just text', false],
    ['complex keys', '? [a, b]\n: 1\n[c]: 2', false],
    ['an implicit key too long for yaml', `a${' '.repeat(1100)}: b`, false],
    ['a long value line (not a key) still parses the same', `a: "${'x'.repeat(2000)}"`, false],
    ['syntax: nested compact mapping', 'a: b: c', false],
    ['syntax: tab indentation', 'a:\n\t- b', false],
    ['syntax: comment glued to a quoted scalar', 'a: "b"#c', false],
    ['syntax: bad escape', 'a: "\\q"', false],
    ['syntax: multi-line implicit key', 'a\nb: c', false],
    ['syntax: bad indentation', 'a:\n  b: 1\n c: 2', false],
    ['syntax: unclosed flow collection', 'a: [b, c', false],
    ['syntax: reserved indicator', 'a: @b', false],
    ['syntax: non-printable character', 'a: \u0007', false],
  ];
  it.each(CASES)('%s', (_name, text, fast) => {
    expect(expectSameReading(text)).toBe(fast);
  });

  it('after a fast read, positions still come from the positioned Document', () => {
    const src = new YamlSource('x.yaml', 'a:\n  b: [1, 2]\n');
    expect(src.toJS()).toStrictEqual({ a: { b: [1, 2] } });
    expect(src.syntaxErrors()).toStrictEqual([]);
    expect(src.posAt(['a', 'b', 1])).toStrictEqual({ line: 2, column: 10 });
    expect(src.posAt(['a', 'b'], true)).toStrictEqual({ line: 2, column: 3 });
  });
});
