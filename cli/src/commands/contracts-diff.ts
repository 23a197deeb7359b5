/**
 * `streampulse contracts diff --base <git-ref|dir> [--dir <dir>] [--format text|markdown|json]`:
 * the breaking-change gate. Loads the base contract set (a folder, or the contract folder
 * as committed at a git ref, read with `git ls-tree` / `git cat-file`) and the working
 * tree's, classifies every change (`diffContracts` in @streampulse/contracts), shows each
 * change's impact through lineage, and exits 1 when a contract with a breaking change did
 * not bump its major version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  type ChangeImpact,
  type ContractDiff,
  type ContractSet,
  ContractValidationError,
  diffContracts,
  type InMemoryFile,
  loadContractFiles,
  StreamPulseError,
} from '@streampulse/contracts';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';

export const DIFF_FORMATS = ['text', 'markdown', 'json'] as const;
type DiffFormat = (typeof DIFF_FORMATS)[number];

interface DiffOptions {
  base: string;
  dir?: string;
  format?: DiffFormat;
  allowRemoved?: string[];
  json?: boolean;
}

function formatOption(v: string): DiffFormat {
  if (!(DIFF_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--format must be one of ${DIFF_FORMATS.join(', ')}, got "${v}"`);
  return v as DiffFormat;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',').filter((x) => x !== '')];

function git(cwd: string, args: readonly string[], input?: string): Buffer {
  try {
    return execFileSync('git', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...(input !== undefined ? { input } : {}) });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new StreamPulseError('CLI_DIFF_GIT', `git ${args[0]} failed${stderr ? `: ${stderr}` : ''}`, {
      remedy: 'pass --base a commit, branch or tag of this repository (fetch it first in a shallow clone), or a contract folder',
      cause: err,
    });
  }
}

/** The contract files of `dir` as committed at `ref`, named as the working tree's files are shown. */
function filesAtRef(ctx: CliContext, ref: string, dir: string): InMemoryFile[] {
  if (ref.startsWith('-'))
    throw new StreamPulseError('CLI_DIFF_BAD_REF', `"${ref}" is not a git ref`, {
      remedy: 'pass --base a commit, branch or tag (e.g. origin/main, HEAD~1), or a folder',
    });
  const gitCwd = existsSync(dir) ? dir : ctx.cwd;
  const top = git(gitCwd, ['rev-parse', '--show-toplevel']).toString().trim();
  let sha: string;
  try {
    sha = git(gitCwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
      .toString()
      .trim();
  } catch (err) {
    throw new StreamPulseError('CLI_DIFF_BAD_REF', `--base "${ref}" is neither a folder nor a commit of the repository at ${top}`, {
      remedy: 'pass a commit, branch or tag (fetch it first in a shallow clone: git fetch --depth=1 origin <sha>), or a contract folder',
      cause: err,
    });
  }
  const rel = relative(top, dir).split('\\').join('/');
  const listing = git(top, ['ls-tree', '-r', '-z', sha, '--', rel === '' ? '.' : rel])
    .toString()
    .split('\0')
    .filter((l) => l !== '');
  const blobs = listing
    .map((l) => /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && /\.ya?ml$/.test(m[2]!))
    .map((m) => ({ sha: m[1]!, path: m[2]! }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  if (blobs.length === 0)
    throw new StreamPulseError('CLI_DIFF_BASE_EMPTY', `no contract files under ${rel || '.'} at ${ref}`, {
      remedy: 'pass a ref where the contract folder exists, or --dir the folder the contracts were in',
    });
  // One `git cat-file --batch` for every blob: "<sha> blob <size>\n<bytes>\n" per object.
  const out = git(top, ['cat-file', '--batch'], `${blobs.map((b) => b.sha).join('\n')}\n`);
  const files: InMemoryFile[] = [];
  let at = 0;
  for (const b of blobs) {
    const nl = out.indexOf(10, at);
    const size = Number(out.subarray(at, nl).toString().split(' ')[2]);
    files.push({ file: ctx.display(join(top, b.path)), text: out.subarray(nl + 1, nl + 1 + size).toString('utf8') });
    at = nl + 1 + size + 1;
  }
  return files;
}

function textsOf(ctx: CliContext, set: ContractSet): Map<string, string> {
  const files = [...set.datasets, ...set.models, ...set.marts, set.metrics, ...set.dashboards].map((c) => c.file);
  return new Map(files.map((f) => [f, readFileSync(resolve(ctx.cwd, f), 'utf8')]));
}

function loadBase(ctx: CliContext, base: string, dir: string): { set: ContractSet; texts: Map<string, string>; label: string } {
  const asDir = resolve(ctx.cwd, base);
  if (existsSync(asDir) && statSync(asDir).isDirectory()) {
    const set = ctx.loadValid(asDir);
    return { set, texts: textsOf(ctx, set), label: ctx.display(asDir) };
  }
  const files = filesAtRef(ctx, base, dir);
  const r = loadContractFiles(files, ctx.display(dir));
  if (!r.contracts)
    throw new StreamPulseError('CLI_DIFF_BASE_INVALID', `the contracts at ${base} do not load with the current rules (${r.issues.length} problem(s))`, {
      remedy: 'compare against a base whose contracts validate today (e.g. the pull request base after rebasing), or a contract folder',
      cause: new ContractValidationError(r.issues),
    });
  return { set: r.contracts, texts: new Map(files.map((f) => [f.file, f.text])), label: base };
}

const list = (xs: readonly string[]): string => (xs.length === 0 ? '—' : xs.join(', '));
const impactLine = (i: ChangeImpact): string => `silver: ${list(i.silver)} · gold: ${list(i.gold)} · marts: ${list(i.marts)} · cards: ${list(i.cards)}`;

export function renderDiffText(d: ContractDiff, base: string, head: string, ctx: CliContext): string[] {
  const s = ctx.style;
  const lines = [`${s.dim('contracts diff')} ${base} → ${head}`, ''];
  if (d.changes.length === 0) lines.push('no contract changes');
  for (const c of d.changes) {
    const cls = c.class === 'breaking' ? s.red('BREAKING  ') : s.green('compatible');
    lines.push(`${cls} ${c.contract.file}:${c.line}  ${c.contract.kind} ${c.contract.name}: ${c.what}`);
    lines.push(`           ${s.dim('reaches')} ${impactLine(c.impact)}`);
  }
  if (d.contracts.length > 0) lines.push('', 'versions:');
  for (const v of d.contracts) {
    const mark = v.status === 'major_not_bumped' || v.status === 'removed' ? s.red('✗') : v.status === 'not_bumped' ? s.yellow('!') : s.green('✓');
    lines.push(`  ${mark} ${v.contract.file}  ${v.message}`);
  }
  lines.push(
    '',
    `${d.summary.breaking} breaking, ${d.summary.compatible} compatible change(s); gate: ${d.gate.pass ? s.green('pass') : s.red(`FAIL (${d.gate.failures.length} contract(s) need a major version bump or an acknowledged removal)`)}`,
  );
  return lines;
}

const cell = (v: string): string => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const codeList = (xs: readonly string[]): string => (xs.length === 0 ? '—' : xs.map((x) => `\`${x}\``).join(', '));

export function renderDiffMarkdown(d: ContractDiff, base: string): string {
  const out: string[] = [];
  out.push(
    `### Contract changes against \`${cell(base)}\`: ${d.gate.pass ? '✅ the breaking-change gate passes' : '❌ the breaking-change gate fails'}`,
    '',
    `${d.summary.breaking} breaking, ${d.summary.compatible} compatible change(s) in ${d.contracts.length} contract(s).`,
    '',
  );
  if (d.contracts.length > 0) {
    out.push('| Contract | File | Breaking | Compatible | Version | Verdict |', '|---|---|---:|---:|---|---|');
    for (const v of d.contracts) {
      const mark = v.status === 'major_not_bumped' || v.status === 'removed' ? '❌' : v.status === 'not_bumped' ? '⚠️' : '✅';
      out.push(
        `| ${v.contract.kind} \`${v.contract.name}\` | \`${cell(v.contract.file)}\` | ${v.breaking} | ${v.compatible} | ${v.base ?? '—'} → ${v.head ?? '—'} | ${mark} ${cell(v.message)} |`,
      );
    }
    out.push('', '#### Changes', '', '| Class | Where | What | Silver | Gold | Marts | Cards |', '|---|---|---|---|---|---|---|');
    for (const c of d.changes)
      out.push(
        `| ${c.class === 'breaking' ? '**breaking**' : 'compatible'} | \`${cell(c.contract.file)}:${c.line}\` | ${cell(`${c.contract.kind} ${c.contract.name}: ${c.what}`)} | ${codeList(c.impact.silver)} | ${codeList(c.impact.gold)} | ${codeList(c.impact.marts)} | ${codeList(c.impact.cards)} |`,
      );
  } else out.push('No contract changes.');
  if (!d.gate.pass) out.push('', '**To pass:** ', ...d.gate.failures.map((f) => `- ${cell(f)}`));
  return `${out.join('\n')}\n`;
}

/** Adds `contracts diff` to the `contracts` command group. */
export function registerContractsDiff(group: Command, ctx: CliContext): void {
  group
    .command('diff')
    .description(
      'the breaking-change gate: classify every contract change against a base (breaking or compatible), show what each reaches through lineage, and fail when a breaking change came without a major version bump',
    )
    .requiredOption(
      '--base <git-ref|dir>',
      'what to compare against: a git ref (commit, branch, tag; the contract folder as committed there) or a contract folder',
    )
    .option('-d, --dir <dir>', 'contract folder of the working tree (default: <workspace root>/contracts/streampulse)')
    .option('--format <format>', `output: ${DIFF_FORMATS.join(' | ')} (markdown: for a pull-request comment)`, formatOption)
    .option('--json', 'same as --format json')
    .option('--allow-removed <names>', 'contracts whose removal is intended (comma-separated, repeatable): their removal does not fail the gate', collect)
    .addHelpText(
      'after',
      `
Exit codes: 0 the gate passes (warnings for compatible changes without a version bump),
1 a contract with a breaking change did not bump its major version, a contract was removed
without --allow-removed, or an error; 2 usage error.

Examples:
  $ streampulse contracts diff --base origin/main
  $ streampulse contracts diff --base HEAD~1 --format markdown > comment.md
  $ streampulse contracts diff --base path/to/old/contracts --format json`,
    )
    .action((opts: DiffOptions, cmd: Command) => {
      if (opts.json === true && opts.format !== undefined && opts.format !== 'json')
        cmd.error(`error: --json and --format ${opts.format} ask for different outputs; give one of them`, {
          exitCode: 2,
          code: 'streampulse.conflictingOptions',
        });
      const format: DiffFormat = opts.format ?? (opts.json === true ? 'json' : 'text');
      ctx.jsonMode = format === 'json';
      const dir = ctx.contractsDir(opts.dir);
      const head = ctx.loadValid(dir);
      const base = loadBase(ctx, opts.base, dir);
      const d = diffContracts({ set: base.set, texts: base.texts }, { set: head, texts: textsOf(ctx, head) }, { allowRemoved: opts.allowRemoved ?? [] });
      if (!d.gate.pass) ctx.exitCode = 1;
      if (format === 'json') ctx.printJson({ ok: d.gate.pass, base: base.label, dir: ctx.display(dir), ...d });
      else if (format === 'markdown') ctx.stdout(renderDiffMarkdown(d, base.label));
      else ctx.print(...renderDiffText(d, base.label, ctx.display(dir), ctx));
    });
}
