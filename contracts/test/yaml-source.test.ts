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
import { isDeepStrictEqual } from 'node:util';
import { LineCounter, parseDocument } from 'yaml';
import { fastParseYaml, subsetParseYaml, YamlSource } from '@streampulse/contracts';

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

  // The plain block subset (a line parser) must read exactly what `yaml` reads, or decline.
  const SUBSET: [string, string, boolean][] = [
    ['mappings, sequences, compact mappings in sequences', 'a: 1\nb:\n  - x\n  - y: 2\n    z: [p, q r, 3]\nc:\n  d: e', true],
    ["a sequence at its key's indentation, then the next key", 'a:\n- b\n- c\nd: 1', true],
    ['folded and literal block scalars, strip and clip, trailing blank lines', 'a: >-\n  x\n  y\n\n\nb: |\n  p\n  q\nc: >\n  r\n', true],
    ['a block scalar in a compact mapping of a sequence', 'a:\n  - d: >-\n      x\n      y\n    e: 1', true],
    ['comment lines, also between a block scalar and the next key', '# head\na: >-\n  x\n#c\nb: 1\n  # indented comment\nc: 2', true],
    ['quoted scalars with escapes; plain scalars with # : , ] inside', 'a: "q\\n\\"xé\\t"\nb: \'it\'\'s\'\nc: a#b\nd: a:b\ne: a,b]\nf: "a #b"', true],
    [
      'core numbers and words: 007 -0 +1 .5 -.5 1. 1_000 0b1 0X1F 2024-01-01 yes tRue ~',
      'a: 007\nb: -0\nc: +1\nd: .5\ne: -.5\nf: 1.\ng: 1_000\nh: 0b1\ni: 0X1F\nj: 2024-01-01\nk: yes\nl: tRue\nm: ~\nn: 1.0.0',
      true,
    ],
    [
      'non-ASCII spaces (U+00A0, U+3000) are content, not indentation or padding',
      'a: b\u00A0\nc: \u00A0d\ne: [\u00A0x, y]\nf:\n  - \u00A0g\nh: >-\n \u00A0i\nj: k\u3000',
      true,
    ],
    [
      'keys with digits, dashes and underscores; trailing spaces after values, keys and block scalar headers',
      'a-1_b: x  \n_k:   \nK9: y\nlist:\n  - m-2: 3   \n    n: Zed\nt: >-   \n  p\nu: 1',
      true,
    ],
    [
      'words and near misses: fALSE nULL tRUE Yes _x Off are strings; False NULL true are not',
      'a: fALSE\nb: nULL\nc: tRUE\nd: Yes\ne: _x\nf: False\ng: NULL\nh: Off\ni: true',
      true,
    ],
    ['declines: a key glued to its value (a:b is one plain scalar)', 'a:b\nc: 1', false],
    ['declines: a key that starts with a digit', '9a: 1', false],
    ['declines: a no-break space before a key', 'a:\n\u00A0 b: 1', false],
    ['declines: 1e3, 0x1F, .inf (left to js-yaml)', 'a: 1e3\nb: 0x1F\nc: .inf', false],
    ['declines: a trailing comment', 'a: b # c', false],
    ['declines: a multi-line plain scalar', 'a: b\n  c', false],
    ['declines: a flow mapping', 'a: { b: 1 }', false],
    ['declines: a blank line inside a block scalar', 'a: >-\n  x\n\n  y', false],
    ['declines: a more-indented line in a block scalar', 'a: >-\n  x\n   y', false],
    ['declines: keep chomping and indentation indicators', 'a: >+\n  x\nb: |2\n   y', false],
    ['declines: a duplicate key', 'a: 1\na: 2', false],
    ['declines: a null or boolean key', 'null: 1\ntrue: 2', false],
    ['declines: a tab', 'a: b\tc', false],
    ['declines: a root sequence', '- a: 1', false],
  ];
  it.each(SUBSET)('subset: %s', (_name, text, read) => {
    const sub = subsetParseYaml(text);
    expect(sub !== undefined).toBe(read);
    if (sub !== undefined) expect(sub.value).toStrictEqual(reference(text).value);
    expectSameReading(text);
  });

  it('subset: on 4,000 generated YAML-like texts, reads exactly what yaml reads or declines', () => {
    // A seeded generator of block YAML: nesting, compact mappings, same-indent sequences,
    // block scalars with odd indentation, blank and comment lines, and scalars of every
    // core-schema form, valid and invalid.
    let seed = 22;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const SCALARS = [
      'a',
      'b c',
      'yes',
      'on',
      '~',
      'null',
      'Null',
      'True',
      'tRue',
      '1',
      '-1',
      '+1',
      '007',
      '1.5',
      '-.5',
      '.5',
      '1.',
      '1e3',
      '0x1F',
      '0o7',
      '.inf',
      '.NaN',
      '1_000',
      '2024-01-01',
      '1.0.0',
      'a:b',
      'a: b',
      'a:',
      'a #b',
      'a#b',
      '"q"',
      '"q\\n\\"x"',
      '"a #b"',
      "'s'",
      "'it''s'",
      "'a'b'",
      '[a, b]',
      '[]',
      '[ ]',
      '[a,b,]',
      '[a, [b]]',
      "['a']",
      '[-1, 2]',
      '[1, 2.5, x y]',
      '{a: 1}',
      '-x',
      '-',
      '- x',
      '-5',
      '&a x',
      '*a',
      '!t x',
      '@x',
      'a]',
      'a,b',
      'é ü',
      '"\\u00e9"',
      '"\\x41"',
      '\u00A0x',
      'x\u00A0',
      'x\u3000',
      'a  b',
      '?x',
      '? x',
      ':x',
      '"',
      "'",
      '""',
      "''",
      '#c',
      '12345678901234567890',
      '-0',
      '0.0',
    ];
    const KEYS = ['a', 'b', 'c', 'on', 'y', 'Null', 'true', '__proto__', 'constructor', 'k-1', 'k_2', '"q"', 'a b', '1', 'x1', 'x2'];
    const gen = (depth: number, indent: number, out: string[]): void => {
      const seq = depth > 0 && rand() < 0.3;
      for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
        const pad = ' '.repeat(indent);
        if (rand() < 0.08) out.push(pad + pick(['# c', '', '  ', '#']));
        if (seq) {
          if (rand() < 0.4 && depth < 4) {
            const sub: string[] = [];
            gen(depth + 1, 0, sub);
            out.push(`${pad}- ${sub[0]!.trimStart()}`, ...sub.slice(1).map((l) => ' '.repeat(indent + 2) + l));
          } else out.push(`${pad}- ${pick(SCALARS)}`);
          continue;
        }
        const k = pick(KEYS);
        const x = rand();
        if (x < 0.5 || depth >= 4) out.push(`${pad}${k}:${pick([' ', ' ', '  ', ''])}${pick(SCALARS)}${pick(['', '', '', ' ', ' # t'])}`);
        else if (x < 0.55) out.push(`${pad}${k}:`);
        else if (x < 0.7) {
          out.push(`${pad}${k}: ${pick(['>-', '>', '|', '|-', '>+', '|2', '> # c'])}`);
          const ci = indent + pick([0, 1, 2, 2, 2, 3]);
          for (let m = 1 + Math.floor(rand() * 3); m > 0; m--)
            out.push(
              rand() < 0.15
                ? pick(['', '  '])
                : ' '.repeat(ci + (rand() < 0.1 ? 1 : 0)) + pick(['text here', 'a: b', '# c', 'trail ', '- i', 'x  y', '\u00A0t', 't\u00A0']),
            );
        } else {
          out.push(`${pad}${k}:${pick(['', ' ', ' # c'])}`);
          if (rand() < 0.15) for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) out.push(`${pad}- ${pick(SCALARS)}`);
          else gen(depth + 1, indent + pick([1, 2, 2, 4]), out);
        }
        if (rand() < 0.03) out.push(' '.repeat(indent + 1) + pick(SCALARS));
      }
    };
    let read = 0;
    for (let i = 0; i < 4000; i++) {
      const out: string[] = [];
      gen(0, 0, out);
      const text = out.join('\n') + pick(['\n', '', '\n\n']);
      const sub = subsetParseYaml(text);
      if (sub === undefined) continue;
      read++;
      const ref = reference(text);
      expect([text, ref.errors]).toStrictEqual([text, []]);
      // node's deep equality: jest's compares `constructor` properties as the objects' classes
      if (!isDeepStrictEqual(sub.value, ref.value)) expect([text, sub.value]).toStrictEqual([text, ref.value]);
    }
    expect(read).toBeGreaterThan(100);
  });

  it('after a fast read, positions still come from the positioned Document', () => {
    const src = new YamlSource('x.yaml', 'a:\n  b: [1, 2]\n');
    expect(src.toJS()).toStrictEqual({ a: { b: [1, 2] } });
    expect(src.syntaxErrors()).toStrictEqual([]);
    expect(src.posAt(['a', 'b', 1])).toStrictEqual({ line: 2, column: 10 });
    expect(src.posAt(['a', 'b'], true)).toStrictEqual({ line: 2, column: 3 });
  });
});
