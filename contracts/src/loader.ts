/**
 * Loads a directory of contract YAML files, validates each against the model and
 * then cross-checks them. Reports every problem at once, each with file, line,
 * column, field path and a remedy.
 */
import { type Stats, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { crossCheck } from './checks.js';
import { ContractValidationError, type ContractIssue } from './errors.js';
import {
  CONTRACT_KINDS,
  SCHEMAS,
  type ContractKind,
  type ContractSet,
  type DashboardContract,
  type DatasetContract,
  type MartContract,
  type MetricsFile,
  type ModelContract,
} from './model.js';
import { zodIssuesToContractIssues } from './schema-issues.js';
import { listOf } from './suggest.js';
import { YamlSource } from './yaml-source.js';

/** One parsed contract file (schema-valid). */
export interface LoadedFile {
  readonly file: string;
  readonly kind: ContractKind;
  readonly name: string;
  readonly src: YamlSource;
  readonly value: DatasetContract | ModelContract | MartContract | MetricsFile | DashboardContract;
}

export interface LoadResult {
  /** Present only when there are no issues. */
  readonly contracts?: ContractSet;
  readonly issues: readonly ContractIssue[];
  /** Every contract file found, with its kind (or null when it could not be told). */
  readonly files: readonly { file: string; kind: ContractKind | null; name: string | null; valid: boolean }[];
}

export interface InMemoryFile {
  /** Path used in messages (e.g. `contracts/streampulse/datasets/users.yaml`). */
  readonly file: string;
  readonly text: string;
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Loads every `*.yaml` / `*.yml` below `dir`. File paths in issues are relative to
 * `displayBase` (default: the current directory) so they can be clicked in a terminal.
 */
export function loadContracts(dir: string, options: { displayBase?: string } = {}): LoadResult {
  let stat: Stats;
  try {
    stat = statSync(dir);
  } catch {
    return dirIssue(
      dir,
      'CONTRACT_DIR_MISSING',
      `contract directory "${dir}" does not exist`,
      'pass the folder that holds the contract YAML files, e.g. contracts/streampulse',
    );
  }
  if (!stat.isDirectory()) return dirIssue(dir, 'CONTRACT_DIR_MISSING', `"${dir}" is not a directory`, 'pass the folder that holds the contract YAML files');
  const base = options.displayBase ?? process.cwd();
  const files = listYaml(dir).map((f) => ({ file: relative(base, f) || f, text: readFileSync(f, 'utf8') }));
  if (files.length === 0)
    return dirIssue(
      dir,
      'CONTRACT_DIR_EMPTY',
      `no *.yaml contract files under "${dir}"`,
      'add dataset, model, mart, metrics and dashboard contracts, or pass another folder',
    );
  return loadContractFiles(files, relative(base, dir) || dir);
}

function dirIssue(dir: string, code: string, message: string, remedy: string): LoadResult {
  return { issues: [{ code, file: dir, line: 1, column: 1, path: '', message, remedy }], files: [] };
}

/** The pure core of the loader: texts in, contract set or issues out. */
export function loadContractFiles(files: readonly InMemoryFile[], root = '.'): LoadResult {
  const issues: ContractIssue[] = [];
  const loaded: LoadedFile[] = [];
  const summary: { file: string; kind: ContractKind | null; name: string | null; valid: boolean }[] = [];
  // Names of contracts whose own file is invalid: references to them are not reported again.
  const broken: string[] = [];

  for (const { file, text } of files) {
    const src = new YamlSource(file, text);
    const syntax = src.syntaxErrors();
    if (syntax.length > 0) {
      const guess = guessName(src);
      if (guess) broken.push(guess);
      for (const e of syntax)
        issues.push({
          code: e.duplicateKey ? 'CONTRACT_DUPLICATE_FIELD' : 'CONTRACT_YAML_SYNTAX',
          file,
          line: e.pos.line,
          column: e.pos.column,
          path: '',
          message: e.duplicateKey ? duplicateKeyMessage(src, e.pos.line) : e.message,
          remedy: e.duplicateKey
            ? 'keep one of the two fields with this name'
            : 'fix the YAML syntax (indent with spaces, quote values that contain ": " or start with special characters)',
        });
      summary.push({ file, kind: null, name: null, valid: false });
      continue;
    }
    const value = src.toJS();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({
        code: 'CONTRACT_NOT_A_MAPPING',
        file,
        line: 1,
        column: 1,
        path: '',
        message: 'the file is not a YAML mapping',
        remedy: `start the file with one of: ${CONTRACT_KINDS.map((k) => `"${k}:"`).join(', ')}`,
      });
      summary.push({ file, kind: null, name: null, valid: false });
      continue;
    }
    const record = value as Record<string, unknown>;
    const kinds = CONTRACT_KINDS.filter((k) => k in record);
    if (kinds.length !== 1) {
      issues.push({
        code: 'CONTRACT_UNKNOWN_KIND',
        file,
        line: 1,
        column: 1,
        path: '',
        message:
          kinds.length === 0
            ? 'cannot tell what this contract is: it has none of the identifying fields'
            : `the file has more than one identifying field (${kinds.join(', ')})`,
        remedy: `give exactly one of: ${listOf(CONTRACT_KINDS)} (e.g. "dataset: users")`,
      });
      summary.push({ file, kind: null, name: null, valid: false });
      continue;
    }
    const kind = kinds[0]!;
    const name = kind === 'metrics' ? 'metrics' : typeof record[kind] === 'string' ? (record[kind] as string) : null;
    const schema = SCHEMAS[kind];
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      if (name) broken.push(name);
      issues.push(...zodIssuesToContractIssues(src, schema, value, parsed.error.issues));
      summary.push({ file, kind, name, valid: false });
      continue;
    }
    loaded.push({ file, kind, name: name ?? kind, src, value: parsed.data as LoadedFile['value'] });
    summary.push({ file, kind, name, valid: true });
  }

  const cross = crossCheck(loaded, root, new Set(broken));
  issues.push(...cross.issues);
  const invalidFiles = new Set(cross.issues.map((i) => i.file));
  const files2 = summary.map((s) => (invalidFiles.has(s.file) ? { ...s, valid: false } : s));
  issues.sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
  if (issues.length > 0 || !cross.contracts) return { issues, files: files2 };
  return { contracts: cross.contracts, issues: [], files: files2 };
}

function duplicateKeyMessage(src: YamlSource, line: number): string {
  const key = /^\s*-?\s*([A-Za-z0-9_]+)\s*:/.exec(src.text.split('\n')[line - 1] ?? '')?.[1];
  return key ? `field "${key}" appears twice in the same mapping` : 'a field appears twice in the same mapping';
}

/** Best effort: the contract name of a file whose YAML does not parse cleanly. */
function guessName(src: YamlSource): string | undefined {
  const m = /^(dataset|model|mart|dashboard):\s*([a-z][a-z0-9_]*)\s*$/m.exec(src.text);
  return m?.[2];
}

/** Loads and throws a ContractValidationError listing every issue when anything is wrong. */
export function loadContractsOrThrow(dir: string, options: { displayBase?: string } = {}): ContractSet {
  const r = loadContracts(dir, options);
  if (!r.contracts) throw new ContractValidationError(r.issues);
  return r.contracts;
}
