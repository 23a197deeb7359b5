/**
 * YAML parsing that keeps positions, so every problem can be reported as
 * file:line:column plus the field path.
 *
 * Two parsers, one meaning. The positioned `yaml` Document (line:col of every node) is
 * what located messages need, but building it costs ~2 ms per contract file: most of
 * `streampulse generate` at thousands of contracts. So a file is first read by js-yaml's
 * event parser with the YAML 1.2 core schema, and the Document is built only when
 * something asks for a position or when the fast read does not apply. The fast read is
 * taken only for texts on which both parsers agree: one document, a mapping, without
 * directives, tags, anchors or aliases, without duplicate keys (js-yaml rejects them),
 * whose mapping keys are all strings and whose lines are at most 1024 characters. Every
 * other text, including each one js-yaml rejects, takes the `yaml` path exactly as
 * before (uniqueKeys, core schema, merge keys off, alias limit), so every syntax error
 * and every located message is the `yaml` one. contracts/test/yaml-source.test.ts reads
 * every YAML file of the repository both ways (cli/test/bench-generate.test.ts the
 * synthetic contracts) and asserts the same value.
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
 * The value of `text` read by js-yaml, or undefined when the document is not one that
 * both parsers read identically (then the caller parses it with `yaml`, as before).
 */
export function fastParseYaml(text: string): { value: unknown } | undefined {
  if (hasLineLongerThan(text, 1024)) return undefined;
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
