/**
 * Landing files that are not valid UTF-8. DuckDB reads text as UTF-8 and stops at the
 * first invalid byte sequence, which would fail the whole batch for one bad line. The
 * bronze job reads a file as it is; only when DuckDB refuses it is the file scanned here,
 * line by line ('\n'-terminated, numbered from 1 as the line reader numbers them), and
 * read again from a copy in which each invalid line is decoded with U+FFFD replacement
 * characters — the valid lines are copied byte for byte, so their line numbers, text
 * and hashes are the same — and the invalid lines are then quarantined with the reason
 * `encoding:invalid_utf8`, their text (with the replacement characters) kept as the raw line.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** The reason of a line that is not valid UTF-8 (the PySpark runtime gives the same). */
export const INVALID_UTF8_REASON = 'encoding:invalid_utf8';

const CHUNK = 4 << 20;
const NL = 0x0a;

/**
 * Visits a file's lines: `valid(block)` for a run of whole lines that are all valid UTF-8
 * (the bytes as they are, newlines included), `line(bytes, n, newline)` for each line of a
 * run that is not (its bytes without the newline; n = its 1-based number).
 */
function walk(abs: string, valid: (block: Buffer) => void, line: (bytes: Buffer, n: number, newline: boolean) => void): void {
  const fd = openSync(abs, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer = Buffer.alloc(0);
  let n = 0;
  const segment = (seg: Buffer, final: boolean): void => {
    if (isUtf8(seg)) {
      valid(seg);
      for (let i = seg.indexOf(NL); i >= 0; i = seg.indexOf(NL, i + 1)) n++;
      if (final && seg.length > 0 && seg[seg.length - 1] !== NL) n++;
      return;
    }
    for (let start = 0; start < seg.length; ) {
      const end = seg.indexOf(NL, start);
      const stop = end < 0 ? seg.length : end;
      n++;
      line(seg.subarray(start, stop), n, end >= 0);
      start = stop + 1;
    }
  };
  try {
    for (;;) {
      const read = readSync(fd, buf, 0, buf.length, null);
      if (read === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, read)]) : buf.subarray(0, read);
      const last = data.lastIndexOf(NL);
      if (last < 0) {
        carry = Buffer.from(data);
        continue;
      }
      segment(data.subarray(0, last + 1), false);
      carry = Buffer.from(data.subarray(last + 1));
    }
    if (carry.length > 0) segment(carry, true);
  } finally {
    closeSync(fd);
  }
}

/** The 1-based numbers of a file's lines that are not valid UTF-8 (empty: the whole file is). */
export function invalidUtf8Lines(abs: string): number[] {
  const bad: number[] = [];
  walk(
    abs,
    () => undefined,
    (bytes, n) => {
      if (!isUtf8(bytes)) bad.push(n);
    },
  );
  return bad;
}

/** Writes `copy`: the file with each line that is not valid UTF-8 decoded with U+FFFD replacement characters, every other byte as it is. */
export function writeUtf8Copy(abs: string, copy: string): void {
  const out = openSync(copy, 'w');
  const nl = Buffer.from('\n');
  try {
    walk(
      abs,
      (block) => void writeSync(out, block),
      (bytes, _n, newline) => {
        writeSync(out, isUtf8(bytes) ? bytes : Buffer.from(bytes.toString('utf8'), 'utf8'));
        if (newline) writeSync(out, nl);
      },
    );
  } finally {
    closeSync(out);
  }
}

/**
 * A record of a file as text: the `lines` lines (a quoted field may hold newlines) of the
 * line holding byte `near`, invalid byte sequences decoded with U+FFFD, the line ends
 * dropped. `near` is the CSV reader's `line_byte_position`, which points at the record's
 * first byte or the one after it (DuckDB 1.x): the record starts after the last line
 * break before it.
 */
export function recordText(fd: number, near: number, lines: number): string {
  const back = Buffer.allocUnsafe(Math.min(near, 4096));
  const got = readSync(fd, back, 0, back.length, near - back.length);
  const nl = back.subarray(0, got).lastIndexOf(NL);
  // no line break in the 4 KiB before it: the file's first line, or (never seen) `near` itself
  const start = nl >= 0 ? near - back.length + nl + 1 : back.length === near ? 0 : near;
  for (let size = 4096; ; size *= 4) {
    const buf = Buffer.allocUnsafe(size);
    const bytes = buf.subarray(0, readSync(fd, buf, 0, size, start));
    let end = -1;
    for (let k = 0, from = 0; k < lines; k++) {
      end = bytes.indexOf(NL, from);
      if (end < 0) break;
      from = end + 1;
    }
    if (end >= 0 || bytes.length < size || size >= 1 << 26) return (end >= 0 ? bytes.subarray(0, end) : bytes).toString('utf8').replace(/\r$/, '');
  }
}
