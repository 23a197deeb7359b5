/**
 * YAML parsing that keeps positions, so every problem can be reported as
 * file:line:column plus the field path.
 *
 * Three readers, one meaning. The positioned `yaml` Document (line:col of every node) is
 * what located messages need, but building it costs ~2 ms per contract file: most of
 * `streampulse generate` at thousands of contracts. So a text is first read by a line
 * parser for the plain block subset contracts are written in (`subsetParseYaml`), else by
 * js-yaml's event parser with the YAML 1.2 core schema (`fastParseYaml`), and the
 * Document is built only when something asks for a position or when neither fast read
 * applies. They are taken only for texts on which they agree with `yaml`: one document,
 * a mapping, without directives, tags, anchors or aliases, without duplicate keys, whose
 * mapping keys are all strings and whose lines are at most 1024 characters. Every other
 * text, including each one js-yaml rejects, takes the `yaml` path exactly as before
 * (uniqueKeys, core schema, merge keys off, alias limit), so every syntax error and every
 * located message is the `yaml` one. contracts/test/yaml-source.test.ts reads every YAML
 * file of the repository and generated texts each way (cli/test/bench-generate.test.ts
 * the synthetic contracts) and asserts the same value.
 */
import { CORE_SCHEMA, constructFromEvents, EVENT_ID, type Event, mapTag, parseEvents, type Schema } from 'js-yaml';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * The `yaml` package turns a null, number or boolean key into a string its own way (a
 * null key becomes "", js-yaml's "null"): the fast read accepts string keys only.
 */
const STRING_KEYED_CORE: Schema = CORE_SCHEMA.withTags({
  ...mapTag,
  addPair: (carrier, key, value) => (typeof key === 'string' ? mapTag.addPair(carrier, key, value) : 'non-string mapping key'),
});

/**
 * `yaml` reports an implicit key whose `:` is more than 1024 characters after the key's
 * start as an error; js-yaml accepts it. An implicit key sits on one line, so a text
 * without lines that long cannot have one; a text with them takes the `yaml` path.
 */
function hasLineLongerThan(text: string, max: number): boolean {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if ((nl === -1 ? text.length : nl) - start > max) return true;
    if (nl === -1) return false;
    start = nl + 1;
  }
}

/**
 * The plain block subset: what contract files are nearly always written in, read by a
 * line parser about ten times faster than any general one. Block mappings with plain keys,
 * block sequences (`- x`, `- key: value`), single-line plain, single- and double-quoted
 * scalars, one-line flow sequences of plain scalars, comment lines. Anything else — a
 * block scalar, a flow mapping, a multi-line scalar, a tag, an anchor, a trailing
 * comment, a tab, an unusual number form, a duplicate key — returns undefined and the
 * text goes to js-yaml (then `yaml`). Plain scalars resolve by the YAML 1.2 core schema
 * exactly as `yaml` does (its regular expressions and its parseInt/parseFloat).
 */
const SUBSET_CHARS = /[^\n\x20-\x7E\u00A0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD]/;
const NON_STRING_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_NULL = /^(?:~|[Nn]ull|NULL)$/;
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** Core forms this subset leaves to the general parsers: 0o17, 0x1F, .inf, .nan, 1e3. */
const CORE_OTHER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+)$/;
/** First characters a plain scalar cannot have (or that this subset does not read). */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`]/;
const DQ_CONTENT = /^(?:[^"\\]|\\["\\/bfnrt])*$/;
const SQ_CONTENT = /^(?:[^']|'')*$/;
const NOT_SUBSET = Symbol('not in the subset');
/**
 * YAML's white space is the space and the tab (tabs are not in the subset): String#trim
 * would also take U+00A0, U+3000 and the like, which YAML reads as content.
 */
const SPACES_START = /^ +/;
const SPACES_END = / +$/;
const trimSpaces = (s: string): string => s.replace(SPACES_START, '').replace(SPACES_END, '');
type Sub = unknown | typeof NOT_SUBSET;

/**
 * First characters after which a plain scalar can only be a string: a letter that starts
 * no null, boolean or number form (CORE_NULL, CORE_BOOL, CORE_INT, CORE_FLOAT, CORE_OTHER
 * start with one of `~nNtTfF.+-` or a digit) or `_`. Most plain scalars of a contract are
 * words: they skip those five tests.
 */
const WORD_START = /^[A-EG-MO-SU-Za-eg-mo-su-z_]/;

function subsetPlain(s: string, flow: boolean): Sub {
  if (s === '' || s.includes(' #') || s.includes(': ') || s.endsWith(':')) return NOT_SUBSET;
  if (INDICATOR_START.test(s) && !(s[0] === '-' && s.length > 1 && s[1] !== ' ' && !flow)) return NOT_SUBSET;
  if (flow && /[,[\]{}:#'"]/.test(s)) return NOT_SUBSET;
  if (WORD_START.test(s)) return s;
  if (CORE_NULL.test(s)) return null;
  if (CORE_BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (CORE_INT.test(s)) return Number.parseInt(s, 10);
  if (CORE_FLOAT.test(s)) return Number.parseFloat(s);
  if (CORE_OTHER.test(s)) return NOT_SUBSET;
  return s;
}

/** A value on the line after `key: ` or `- ` (trimmed, not empty). */
function subsetValue(s: string): Sub {
  const c = s[0];
  if (c === '"') {
    const inner = s.slice(1, -1);
    return s.length >= 2 && s.endsWith('"') && DQ_CONTENT.test(inner) ? JSON.parse(s) : NOT_SUBSET;
  }
  if (c === "'") {
    const inner = s.slice(1, -1);
    return s.length >= 2 && s.endsWith("'") && SQ_CONTENT.test(inner) ? inner.replaceAll("''", "'") : NOT_SUBSET;
  }
  if (c === '[') {
    if (!s.endsWith(']')) return NOT_SUBSET;
    const inner = trimSpaces(s.slice(1, -1));
    if (inner === '') return [];
    const items: unknown[] = [];
    for (const part of inner.split(',')) {
      const v = subsetPlain(trimSpaces(part), true);
      if (v === NOT_SUBSET) return NOT_SUBSET;
      items.push(v);
    }
    return items;
  }
  return subsetPlain(s, false);
}

interface SubsetLine {
  readonly indent: number;
  readonly text: string;
  /** The value of the block scalar (`key: >-` …) this line opens, read from the lines below it. */
  readonly scalar?: string;
}

/** `key: >-`, `key: |` … (also as `- key: >`): a block scalar without indentation indicator or keep chomping. */
const BLOCK_SCALAR_HEADER = /^((?:- +)?)[A-Za-z_][A-Za-z0-9_-]*: +([|>])(-?)$/;

/**
 * The block scalar opened by `raw[r]` (a header line with `parent` the indentation of its
 * key): its content lines, all indented alike and deeper than the key, none blank in
 * between, none ending in a space or starting with `#`. Folded (`>`) joins them with
 * spaces, literal (`|`) with line breaks; clip chomping adds one final line break, strip
 * (`-`) none. Returns the value and the index of the first line after it.
 */
function subsetBlockScalar(raw: readonly string[], r: number, parent: number, folded: boolean, strip: boolean): { value: string; next: number } | undefined {
  const parts: string[] = [];
  let indent = -1;
  let blank = false;
  let i = r + 1;
  for (; i < raw.length; i++) {
    const line = raw[i]!;
    if (line === '') {
      blank = true;
      continue;
    }
    const body = line.replace(SPACES_START, '');
    const at = line.length - body.length;
    if (body === '') return undefined;
    if (at <= parent) break;
    if (blank || (indent !== -1 && at !== indent) || body[0] === '#' || body.endsWith(' ')) return undefined;
    indent = at;
    parts.push(body);
  }
  if (parts.length === 0) return undefined;
  const text = parts.join(folded ? ' ' : '\n');
  return { value: strip ? text : `${text}\n`, next: i };
}

/** `[A-Za-z0-9_-]` by character code. */
const isKeyChar = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;

/**
 * The key of a mapping line, read by hand (once per line of every contract): the index of the `:` that ends the
 * key of `text` when `text` matches `^[A-Za-z_][A-Za-z0-9_-]*:(?: +|$)`, else -1.
 */
function keyEnd(text: string): number {
  const c0 = text.charCodeAt(0);
  if (!((c0 >= 0x61 && c0 <= 0x7a) || (c0 >= 0x41 && c0 <= 0x5a) || c0 === 0x5f)) return -1;
  let i = 1;
  while (i < text.length && isKeyChar(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x3a) return -1;
  return i + 1 === text.length || text.charCodeAt(i + 1) === 0x20 ? i : -1;
}

/**
 * Reads the block node whose lines start at `lines[at.i]` with exactly `indent` spaces. A
 * sequence that is a mapping value at its key's own indentation (`key:` then `- x` below
 * it) ends at the next key (`underKey`); any other node ends at a line indented less.
 */
function subsetBlock(lines: SubsetLine[], at: { i: number }, indent: number, underKey = false): Sub {
  const first = lines[at.i]!;
  if (first.text.startsWith('- ') || first.text === '-') {
    const items: unknown[] = [];
    while (at.i < lines.length) {
      const line = lines[at.i]!;
      if (line.indent < indent || (underKey && line.indent === indent && !line.text.startsWith('- '))) break;
      if (line.indent > indent || !line.text.startsWith('- ')) return NOT_SUBSET;
      const rest = line.text.slice(2).replace(SPACES_START, '');
      const col = line.indent + (line.text.length - rest.length);
      if (keyEnd(rest) !== -1) {
        // `- key: value`: a mapping whose keys sit at the column after the dash
        // (no object spread: one per list item of every file, and V8 spends microseconds on each)
        lines[at.i] = line.scalar === undefined ? { indent: col, text: rest } : { indent: col, text: rest, scalar: line.scalar };
        const map = subsetBlock(lines, at, col);
        if (map === NOT_SUBSET) return NOT_SUBSET;
        items.push(map);
        continue;
      }
      const v = rest === '' ? NOT_SUBSET : subsetValue(rest);
      if (v === NOT_SUBSET) return NOT_SUBSET;
      items.push(v);
      at.i++;
      if (at.i < lines.length && lines[at.i]!.indent > indent) return NOT_SUBSET;
    }
    return items;
  }
  const map: Record<string, unknown> = {};
  while (at.i < lines.length) {
    const line = lines[at.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) return NOT_SUBSET;
    const colon = keyEnd(line.text);
    if (colon === -1) return NOT_SUBSET;
    const key = line.text.slice(0, colon);
    if (NON_STRING_KEY.test(key) || key === '__proto__' || Object.hasOwn(map, key)) return NOT_SUBSET;
    let restAt = colon + 1;
    while (line.text.charCodeAt(restAt) === 0x20) restAt++;
    const rest = line.text.slice(restAt);
    at.i++;
    if (rest !== '') {
      const v = line.scalar ?? subsetValue(rest);
      if (v === NOT_SUBSET || (at.i < lines.length && lines[at.i]!.indent > indent)) return NOT_SUBSET;
      map[key] = v;
      continue;
    }
    const next = lines[at.i];
    if (next !== undefined && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) {
      const v = subsetBlock(lines, at, next.indent, next.indent === indent);
      if (v === NOT_SUBSET) return NOT_SUBSET;
      map[key] = v;
    } else map[key] = null;
  }
  return map;
}

/** The value of a text in the plain block subset, or undefined. */
export function subsetParseYaml(text: string): { value: unknown } | undefined {
  if (SUBSET_CHARS.test(text)) return undefined;
  const lines: SubsetLine[] = [];
  const raw = text.split('\n');
  for (let r = 0; r < raw.length; r++) {
    // leading and trailing spaces found by hand (a million lines at 5,000 contracts): the same
    // line as `.replace(SPACES_START, '').replace(SPACES_END, '')`
    const text = raw[r]!;
    let indent = 0;
    while (text.charCodeAt(indent) === 0x20) indent++;
    if (indent === text.length || text.charCodeAt(indent) === 0x23 /* # */) continue;
    let end = text.length;
    while (text.charCodeAt(end - 1) === 0x20) end--;
    const line = indent === 0 && end === text.length ? text : text.slice(indent, end);
    // a block scalar header ends in `|`, `>` or `-`
    const last = line.charCodeAt(line.length - 1);
    const header = last === 0x7c || last === 0x3e || last === 0x2d ? BLOCK_SCALAR_HEADER.exec(line) : null;
    if (header === null) {
      lines.push({ indent, text: line });
      continue;
    }
    const block = subsetBlockScalar(raw, r, indent + header[1]!.length, header[2] === '>', header[3] === '-');
    if (block === undefined) return undefined;
    lines.push({ indent, text: line, scalar: block.value });
    r = block.next - 1;
  }
  if (lines.length === 0 || lines[0]!.indent !== 0 || lines[0]!.text.startsWith('- ')) return undefined;
  const at = { i: 0 };
  const value = subsetBlock(lines, at, 0);
  return value === NOT_SUBSET || at.i !== lines.length ? undefined : { value };
}

/**
 * The value of `text` read by js-yaml, or undefined when the document is not one that
 * both parsers read identically (then the caller parses it with `yaml`, as before).
 */
export function fastParseYaml(text: string): { value: unknown } | undefined {
  if (hasLineLongerThan(text, 1024)) return undefined;
  const simple = subsetParseYaml(text);
  if (simple !== undefined) return simple;
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  let documents = 0;
  for (const e of events) {
    if (e.type === EVENT_ID.DOCUMENT) {
      // A %YAML 1.1 directive would switch `yaml` to the 1.1 schema (yes/no booleans...).
      if (++documents > 1 || e.directives.length > 0) return undefined;
    } else if (e.type === EVENT_ID.ALIAS) {
      return undefined;
    } else if (e.type !== EVENT_ID.POP && (e.anchorStart !== -1 || e.tagStart !== -1)) {
      return undefined;
    }
  }
  if (documents !== 1) return undefined;
  try {
    const docs = constructFromEvents(events, { source: text, schema: STRING_KEYED_CORE, maxAliases: 0 });
    const value = docs[0];
    // Only a mapping is a contract; anything else takes the `yaml` path to its message.
    return docs.length === 1 && value !== null && typeof value === 'object' && !Array.isArray(value) ? { value } : undefined;
  } catch {
    return undefined;
  }
}

export class YamlSource {
  private parsed: Document.Parsed | undefined;
  private lineCounter: LineCounter | undefined;
  /** The js-yaml value when the fast read applies (then the document has no syntax errors). */
  private readonly fast: { value: unknown } | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.fast = fastParseYaml(text);
  }

  /** The positioned `yaml` Document, built on first use. */
  get doc(): Document.Parsed {
    if (this.parsed === undefined) {
      this.lineCounter = new LineCounter();
      this.parsed = parseDocument(this.text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
    }
    return this.parsed;
  }

  private get lines(): LineCounter {
    if (this.lineCounter === undefined) void this.doc;
    return this.lineCounter!;
  }

  /** Syntax errors of the YAML itself (tabs, bad indentation, duplicate keys...). */
  syntaxErrors(): { message: string; pos: Position; duplicateKey: boolean }[] {
    if (this.fast !== undefined) return [];
    return this.doc.errors.map((e) => {
      const p = this.lines.linePos(e.pos[0]);
      const first = e.message.split('\n')[0] ?? e.message;
      return { message: first, pos: { line: p.line, column: p.col }, duplicateKey: e.code === 'DUPLICATE_KEY' };
    });
  }

  /** The document's value; the same object on every call when the fast read applied. */
  toJS(): unknown {
    if (this.fast !== undefined) return this.fast.value;
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  posOfOffset(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  /**
   * The node at `path` (its key when `key` is true). Walks as deep as the path exists
   * and returns the deepest node found, so a missing field points at its parent.
   */
  nodeAt(path: readonly (string | number)[], key = false): Node | null {
    let node: unknown = this.doc.contents;
    let last: Node | null = (node as Node | null) ?? null;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const isLast = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return last;
        if (isLast && key && pair.key) return pair.key as Node;
        node = pair.value;
        if (node === null || node === undefined) return (pair.key as Node) ?? last;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined || item === null) return last;
        node = item;
      } else {
        return last;
      }
      last = node as Node;
    }
    return last;
  }

  posAt(path: readonly (string | number)[], key = false): Position {
    const node = this.nodeAt(path, key);
    if (!node?.range) return { line: 1, column: 1 };
    return this.posOfOffset(node.range[0]);
  }

  /**
   * Position of character `offset` inside the string scalar at `path` (used to point at
   * the exact token of an expression). Falls back to the scalar's start.
   */
  posInScalar(path: readonly (string | number)[], offset: number): Position {
    const node = this.nodeAt(path);
    if (!node?.range || !isScalar(node)) return this.posAt(path);
    const start = this.posOfOffset(node.range[0]);
    const value = String((node as Scalar).value);
    switch ((node as Scalar).type) {
      case Scalar.PLAIN:
        if (!value.includes('\n')) return { line: start.line, column: start.column + offset };
        return start;
      case Scalar.QUOTE_DOUBLE:
      case Scalar.QUOTE_SINGLE:
        if (!value.includes('\n')) return { line: start.line, column: start.column + 1 + offset };
        return start;
      case Scalar.BLOCK_LITERAL: {
        const before = value.slice(0, offset);
        const nl = before.split('\n').length - 1;
        const lineNo = start.line + 1 + nl;
        // the block's indentation is that of its first content line
        const firstLine = this.text.split('\n')[start.line] ?? '';
        const indent = firstLine.length - firstLine.trimStart().length;
        const col = before.length - (before.lastIndexOf('\n') + 1);
        return { line: lineNo, column: indent + col + 1 };
      }
      default:
        return { line: start.line + 1, column: 1 };
    }
  }
}
