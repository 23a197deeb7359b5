/**
 * YAML parsing that keeps positions, so every problem can be reported as
 * file:line:column plus the field path.
 */
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** Syntax errors of the YAML itself (tabs, bad indentation, duplicate keys...). */
  syntaxErrors(): { message: string; pos: Position; duplicateKey: boolean }[] {
    return this.doc.errors.map((e) => {
      const p = this.lines.linePos(e.pos[0]);
      const first = e.message.split('\n')[0] ?? e.message;
      return { message: first, pos: { line: p.line, column: p.col }, duplicateKey: e.code === 'DUPLICATE_KEY' };
    });
  }

  toJS(): unknown {
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
