/**
 * Output helpers shared by every command: colours (only on a TTY, never with
 * NO_COLOR), aligned plain-text tables, counted nouns and canonical JSON.
 */
import pc from 'picocolors';

/** The few styles the CLI uses; identity functions when colour is off. */
export interface Style {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
}

export function createStyle(enabled: boolean): Style {
  const c = pc.createColors(enabled);
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}

/**
 * Colour is used only when the stream is a terminal and NO_COLOR is not set
 * (https://no-color.org: any value, even empty, turns colour off here).
 */
export function colorWanted(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY === true && env['NO_COLOR'] === undefined;
}

/** `1 mart`, `7 marts`; `plural` defaults to `singular + "s"`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/**
 * An aligned table: the header row, then one line per row. Widths are measured on
 * the plain text, so styling is applied after padding. Trailing spaces are trimmed.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], style: Style, indent = ''): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], paint: (s: string) => string = (s) => s): string =>
    (indent + cells.map((c, i) => paint(i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).trimEnd();
  return [line(headers, (s) => style.bold(style.dim(s))), ...rows.map((r) => line(headers.map((_, i) => r[i] ?? '')))];
}

/** Indents every line of a (multi-line) text. */
export function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : prefix + l))
    .join('\n');
}

/** `a, b, c, … (N in all)` — at most `max` items shown. */
export function listOf(values: Iterable<string>, max = 12): string {
  const all = [...values];
  const shown = all.slice(0, max).join(', ');
  return all.length > max ? `${shown}, … (${all.length} in all)` : shown;
}

/** Recursively sorts object keys (arrays keep their order) so JSON output is canonical. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(src).sort()) {
      const v = src[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** Pretty JSON with sorted keys and a trailing newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(canonical(value), null, 2)}\n`;
}
