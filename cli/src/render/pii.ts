/**
 * `contracts pii`: the PII report of @streampulse/sql (`piiReport`) as text or Markdown
 * (pure: report in, lines out).
 */
import type { PiiColumn, PiiReader, PiiReport, PiiServedColumn } from '@streampulse/sql';
import { count, type Style } from '../output.js';

export const PII_FORMATS = ['text', 'markdown', 'json'] as const;
export type PiiFormat = (typeof PII_FORMATS)[number];

const SILVER_TEXT: Readonly<Record<PiiColumn['silver'], string>> = {
  pseudonymised: 'pseudonymised (salted SHA-256)',
  dropped: 'dropped (never reaches silver)',
  kept: 'kept as is',
};

const strip = (ids: readonly string[]): string[] => ids.map((id) => id.slice(id.indexOf(':') + 1));
const reader = (r: PiiReader): string => `${r.role} (${r.masked ? 'masked' : 'value'}, via ${r.via})`;

/** One line that counts what the report found. */
export function piiHeadline(r: PiiReport): string {
  const by = (s: PiiColumn['silver']): number => r.columns.filter((c) => c.silver === s).length;
  const served = r.columns.flatMap((c) => c.served.filter((s) => s.carriesValue));
  return (
    `${count(r.columns.length, 'PII column')} (${by('pseudonymised')} pseudonymised, ${by('dropped')} dropped, ${by('kept')} kept in silver); ` +
    `${count(served.length, 'served column')} ${served.length === 1 ? 'carries' : 'carry'} a PII value`
  );
}

function servedLines(s: PiiServedColumn, style: Style): string[] {
  const name = `${s.mart}.${s.column}`;
  if (!s.carriesValue) return [`    ${name}  ${style.dim('derived without its value (an aggregate, grouping, join or filter): not masked')}`];
  return [
    `    ${style.bold(name)}  ${style.yellow('serves the value')}, masked with ${s.mask ?? '(none)'} on [gold] and [staging], read as ${s.view}`,
    ...s.readers.map((r) => `      ${r.role.padEnd(20)} ${r.masked ? 'masked  ' : style.red('UNMASKED')}  via ${r.via}`),
  ];
}

export function renderPiiText(r: PiiReport, style: Style): string[] {
  const lines = [style.bold(piiHeadline(r))];
  for (const c of r.columns) {
    const reach = [
      `gold ${c.reaches.gold.length}`,
      `mart columns ${c.reaches.marts.length}`,
      `cards ${c.reaches.cards.length}${c.reaches.cards.length > 0 ? ` (${strip(c.reaches.cards).join(', ')})` : ''}`,
    ];
    lines.push(
      '',
      `${style.bold(style.cyan(c.id))}  ${style.dim(`class ${c.class}, policy ${c.policy}`)}`,
      `  silver   ${SILVER_TEXT[c.silver]}`,
      `  reaches  ${c.silver === 'dropped' ? 'nothing' : reach.join(', ')}`,
      c.served.length === 0 ? '  served   no served column derives from it' : '  served',
      ...c.served.flatMap((s) => servedLines(s, style)),
    );
  }
  lines.push('', style.bold('roles (0007_roles_and_grants)'));
  for (const x of r.roles) lines.push(`  ${x.role.padEnd(20)} ${x.kind}: SELECT on ${x.selects.join(', ') || '(nothing)'}; UNMASK ${x.unmask ? 'yes' : 'no'}`);
  lines.push('  administrators       server admin, Entra admin, db_owner: always see unmasked values');
  return lines;
}

const md = (s: string): string => s.replace(/\|/g, '\\|');
const code = (s: string): string => `\`${md(s)}\``;

/** Markdown: a headline, one table row per PII column, the roles. */
export function renderPiiMarkdown(r: PiiReport): string[] {
  const lines = [
    '## PII columns',
    '',
    `${piiHeadline(r)}.`,
    '',
    '| PII column | class | silver | reaches (gold / mart columns / cards) | served value | masking in Azure SQL | readable by |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of r.columns) {
    const valued = c.served.filter((s) => s.carriesValue);
    const other = c.served.length - valued.length;
    const servedCell =
      valued.length === 0
        ? c.served.length === 0
          ? 'none'
          : `none (${count(other, 'mart column')} derived without the value)`
        : valued.map((s) => code(`${s.mart}.${s.column}`)).join('<br>');
    const maskCell = valued.length === 0 ? '—' : valued.map((s) => code(s.mask ?? 'none')).join('<br>');
    const readers = [...new Set(valued.flatMap((s) => s.readers.map(reader)))];
    lines.push(
      `| ${code(c.id)} | ${c.class} | ${c.silver} | ${c.reaches.gold.length} / ${c.reaches.marts.length} / ${c.reaches.cards.length} | ${servedCell} | ${maskCell} | ${readers.length === 0 ? '—' : md(readers.join('<br>'))} |`,
    );
  }
  lines.push('', '### Roles', '', '| role | kind | SELECT on | UNMASK |', '|---|---|---|---|');
  for (const x of r.roles) lines.push(`| ${code(x.role)} | ${x.kind} | ${x.selects.map(code).join(', ') || '—'} | ${x.unmask ? 'yes' : 'no'} |`);
  lines.push('| administrators | server admin, Entra admin, db_owner | everything | always |');
  return lines;
}
