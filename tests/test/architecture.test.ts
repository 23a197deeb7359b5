/**
 * Architecture rules of the workspace, enforced.
 *
 * The package graph of ARCHITECTURE.md ("Package map": who owns what and may import
 * what) is encoded ONCE below in `ALLOWED`. The checks:
 *   (a) each package.json (and tsconfig.json `references`) depends on @streampulse/*
 *       packages from the allowed table only;
 *   (b) every import / export-from / dynamic import() / require() in a package's
 *       src/ and test/ names only allowed @streampulse packages;
 *   (c) nobody deep-imports `@streampulse/x/...` (src and test of every package and
 *       the cross-package tests/ folder): only the `exports` entry point is public;
 *   (d) no relative import leaves its package folder (`../../sql/src/...`);
 *   (e) every package.json has `exports` (with the `@streampulse/source` condition
 *       jest uses) and `type: module`;
 *   and no package source hard-codes the name of a StreamPulse dataset, model or mart
 *   (contracts/streampulse/ is data: code must read names from the contract model).
 *
 * Imports are found with the TypeScript parser (a root devDependency), so comments
 * and strings that merely look like imports are never mistaken for them.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// ---------------------------------------------------------------------------
// The allowed import table — ARCHITECTURE.md "Package map", column "may import".
// Order matters: it is the table's row order, and arrows only point down, i.e. a
// package may import only packages listed above it.
// ---------------------------------------------------------------------------
const ALLOWED: ReadonlyArray<readonly [folder: string, mayImport: readonly string[]]> = [
  ['contracts', []],
  ['sql', ['contracts']],
  ['jobs', ['contracts', 'sql']],
  ['serving', ['contracts', 'sql']],
  ['engine', ['contracts', 'sql', 'jobs', 'serving']],
  ['pipelines', ['contracts', 'jobs']],
  ['sources', ['contracts']],
  ['dashboards', ['contracts', 'sql']],
  ['rehearsal', ['contracts', 'sql', 'jobs', 'serving', 'engine', 'pipelines', 'sources', 'dashboards']],
  ['bench', ['contracts', 'sql', 'jobs', 'serving', 'engine', 'sources', 'rehearsal']],
  ['infra', ['contracts', 'pipelines', 'jobs', 'sql']],
  ['cli', ['contracts', 'sql', 'jobs', 'serving', 'engine', 'pipelines', 'sources', 'dashboards', 'rehearsal', 'bench', 'infra']],
];
/** The cross-package tests folder (not a library): may import every package. */
const TESTS_FOLDER = 'tests';
const SCOPE = '@streampulse/';

const PACKAGES: readonly string[] = ALLOWED.map(([folder]) => folder);
const allowedFor = (folder: string): readonly string[] => (folder === TESTS_FOLDER ? PACKAGES : (ALLOWED.find(([f]) => f === folder)?.[1] ?? []));

// ---------------------------------------------------------------------------
// Workspace discovery (no import.meta, no __dirname: walk up from the cwd).
// ---------------------------------------------------------------------------
function findRoot(): string {
  let dir = resolve(process.cwd());
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no pnpm-workspace.yaml at or above ${process.cwd()}`);
    dir = up;
  }
}
const ROOT = findRoot();

/** Workspace-relative posix path. */
const rel = (abs: string): string => relative(ROOT, abs).split(sep).join('/');

function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(abs, keep));
    else if (entry.isFile() && keep(entry.name)) out.push(abs);
  }
  return out.sort();
}
const isTs = (name: string): boolean => /\.[cm]?tsx?$/.test(name);

type Area = 'src' | 'test';
interface SourceFile {
  /** Package folder, e.g. `sql`, or `tests`. */
  readonly pkg: string;
  readonly area: Area;
  /** Workspace-relative posix path, e.g. `sql/src/index.ts`. */
  readonly file: string;
  readonly text: string;
}

function readSources(pkg: string, area: Area): SourceFile[] {
  return listFiles(join(ROOT, pkg, area), isTs).map((abs) => ({
    pkg,
    area,
    file: rel(abs),
    text: readFileSync(abs, 'utf8'),
  }));
}

// ---------------------------------------------------------------------------
// The checker: pure functions (text in, violations out) so they can be proven on
// in-memory fakes below.
// ---------------------------------------------------------------------------
type Rule =
  | 'a-manifest-dependency'
  | 'b-import-direction'
  | 'c-deep-import'
  | 'd-relative-escape'
  | 'e-manifest-shape'
  | 'hardcoded-contract-name'
  | 'unknown-package'
  | 'uncheckable-import';

interface Violation {
  readonly rule: Rule;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}
const show = (v: Violation): string => `${v.file}:${v.line} [${v.rule}] ${v.message}`;

interface ModuleReference {
  /** The specifier, or undefined when it is not a literal (e.g. `import(name)`). */
  readonly specifier: string | undefined;
  readonly line: number;
  readonly how: string;
}

const literalText = (node: ts.Node | undefined): string | undefined =>
  node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

const JEST_MODULE_CALLS = new Set(['mock', 'unstable_mockModule', 'doMock', 'requireActual', 'requireMock', 'createMockFromModule']);

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
}

/** Every module reference of a source text: static, re-export, dynamic, type-level, require, jest.mock. */
function moduleReferences(file: string, text: string): ModuleReference[] {
  const sf = parse(file, text);
  const refs: ModuleReference[] = [];
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (node: ts.Node, spec: ts.Node | undefined, how: string): void => {
    refs.push({ specifier: literalText(spec), line: lineOf(node), how });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, 'import');
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) add(node, node.moduleSpecifier, 'export-from');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression, 'import-require');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, 'import-type');
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], 'dynamic-import');
      else if (ts.isIdentifier(callee) && callee.text === 'require' && node.arguments.length === 1) add(node, node.arguments[0], 'require');
      else if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'jest' &&
        JEST_MODULE_CALLS.has(callee.name.text)
      )
        add(node, node.arguments[0], `jest.${callee.name.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/** Checks the imports of one source file against rules (b), (c) and (d). */
function checkImports(source: SourceFile, workspacePackages: readonly string[]): Violation[] {
  const out: Violation[] = [];
  const allowed = allowedFor(source.pkg);
  for (const ref of moduleReferences(source.file, source.text)) {
    const at = { file: source.file, line: ref.line };
    const spec = ref.specifier;
    if (spec === undefined) {
      // Only dynamic forms can be non-literal; an unknowable target cannot be checked.
      out.push({ ...at, rule: 'uncheckable-import', message: `${ref.how} with a non-literal specifier cannot be checked; use a string literal` });
      continue;
    }
    if (spec.startsWith(SCOPE)) {
      const [name = '', ...deep] = spec.slice(SCOPE.length).split('/');
      if (deep.length > 0)
        out.push({ ...at, rule: 'c-deep-import', message: `'${spec}' reaches inside ${SCOPE}${name}; import '${SCOPE}${name}' (its exports) instead` });
      if (!workspacePackages.includes(name)) {
        out.push({ ...at, rule: 'unknown-package', message: `'${SCOPE}${name}' is not a workspace package (${workspacePackages.join(', ')})` });
        continue;
      }
      const self = name === source.pkg;
      // A package's own tests may import it by name (through its exports); its src may not.
      if (self ? source.area === 'src' : !allowed.includes(name))
        out.push({
          ...at,
          rule: 'b-import-direction',
          message: self
            ? `${source.pkg}/src imports itself by name ('${spec}'); use a relative import`
            : `${source.pkg} may not import ${SCOPE}${name} (may import: ${allowed.join(', ') || 'nothing of ours'}; ARCHITECTURE.md, Package map)`,
        });
    } else if (spec.startsWith('.') || spec.startsWith('/')) {
      const target = spec.startsWith('/') ? spec : posix.normalize(posix.join(posix.dirname(source.file), spec));
      if (!target.startsWith(`${source.pkg}/`))
        out.push({ ...at, rule: 'd-relative-escape', message: `'${spec}' leaves ${source.pkg}/ (resolves to ${target}); import the package by name` });
    }
  }
  return out;
}

interface Manifest {
  readonly type?: unknown;
  readonly exports?: unknown;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** Rules (a) and (e) on one package.json; `hasFile` tells whether a package-relative path exists. */
function checkManifest(pkg: string, manifest: Manifest, hasFile: (path: string) => boolean): Violation[] {
  const out: Violation[] = [];
  const at = { file: `${pkg}/package.json`, line: 1 };
  const allowed = allowedFor(pkg);
  for (const field of DEPENDENCY_FIELDS) {
    for (const dep of Object.keys(manifest[field] ?? {})) {
      if (!dep.startsWith(SCOPE)) continue;
      const name = dep.slice(SCOPE.length);
      if (!allowed.includes(name))
        out.push({
          ...at,
          rule: 'a-manifest-dependency',
          message: `${field} has ${dep}, but ${pkg} may import only: ${allowed.join(', ') || 'nothing of ours'} (ARCHITECTURE.md, Package map)`,
        });
    }
  }
  if (manifest.type !== 'module') out.push({ ...at, rule: 'e-manifest-shape', message: `"type" must be "module" (is ${JSON.stringify(manifest.type)})` });
  const exp = manifest.exports;
  if (exp === undefined || exp === null || typeof exp !== 'object') {
    out.push({ ...at, rule: 'e-manifest-shape', message: '"exports" is missing: a package is used only through its exports' });
  } else {
    const dot = (exp as Record<string, unknown>)['.'];
    const source = dot !== null && typeof dot === 'object' ? (dot as Record<string, unknown>)['@streampulse/source'] : undefined;
    if (typeof source !== 'string')
      out.push({
        ...at,
        rule: 'e-manifest-shape',
        message: '"exports"."." needs a "@streampulse/source" condition (jest loads TypeScript sources through it)',
      });
    else if (!hasFile(source)) out.push({ ...at, rule: 'e-manifest-shape', message: `"@streampulse/source" points at ${source}, which does not exist` });
  }
  return out;
}

/** tsconfig.json `references` must follow the same table (tsc -b builds along them). */
function checkTsconfigReferences(pkg: string, references: readonly string[]): Violation[] {
  const allowed = allowedFor(pkg);
  return references
    .map((path) => posix.basename(posix.normalize(path.replace(/\/tsconfig(\.[^/]*)?\.json$/, ''))))
    .filter((name) => !allowed.includes(name))
    .map((name) => ({
      rule: 'a-manifest-dependency' as const,
      file: `${pkg}/tsconfig.json`,
      line: 1,
      message: `references ../${name}, but ${pkg} may import only: ${allowed.join(', ') || 'nothing of ours'}`,
    }));
}

/** Names of the datasets, models and marts of a set of contract files (top-level keys, by regex). */
function contractNames(files: ReadonlyArray<{ readonly file: string; readonly text: string }>): Map<string, string> {
  const names = new Map<string, string>();
  const topLevel = /^(dataset|model|mart):[ \t]*["']?([A-Za-z_][A-Za-z0-9_]*)["']?[ \t]*(?:#.*)?$/m;
  for (const { file, text } of files) {
    const m = topLevel.exec(text);
    if (m?.[2] !== undefined) names.set(m[2], `${m[1]} in ${file}`);
  }
  return names;
}

/** Every string literal of a source text that equals one of `names`. */
function checkHardcodedNames(source: SourceFile, names: ReadonlyMap<string, string>): Violation[] {
  const sf = parse(source.file, source.text);
  const out: Violation[] = [];
  const visit = (node: ts.Node): void => {
    const text = literalText(node);
    const origin = text === undefined ? undefined : names.get(text);
    if (origin !== undefined)
      out.push({
        rule: 'hardcoded-contract-name',
        file: source.file,
        line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
        message: `'${text}' is the ${origin}; read names from the loaded contracts so a contract change needs no code change`,
      });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * String literals that equal a contract name by coincidence and do not refer to the
 * contract. Keep this list short; each entry says why it is not a reference.
 */
const NOT_CONTRACT_REFERENCES: ReadonlyArray<{ readonly file: string; readonly literal: string; readonly why: string }> = [];

/**
 * Files allowed to name datasets, each with the reason. Keep this list to files whose
 * whole job is to bind something outside the contracts to them.
 */
const NAMING_FILES: ReadonlyArray<{ readonly file: string; readonly why: string }> = [
  {
    file: 'sources/src/world/bindings.ts',
    why: 'the synthetic business simulation binds its entity kinds to the source datasets they feed; datasets not bound there get contract-driven generic rows',
  },
];

// ---------------------------------------------------------------------------
// The workspace as it is on disk.
// ---------------------------------------------------------------------------
function workspaceFolders(): string[] {
  const text = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\s*\n((?:[ \t]+-.*\n?)+)/m.exec(text)?.[1] ?? '';
  return [...block.matchAll(/^[ \t]+-[ \t]*["']?([^"'\s#]+)["']?/gm)].map((m) => m[1] ?? '').filter((s) => s !== '');
}
const readJson = <T>(abs: string): T => JSON.parse(readFileSync(abs, 'utf8')) as T;

describe('architecture: the package graph of ARCHITECTURE.md', () => {
  it('the allowed table only points down and covers every workspace package', () => {
    const upward = ALLOWED.flatMap(([folder, deps], i) => deps.filter((d) => !PACKAGES.slice(0, i).includes(d)).map((d) => `${folder} -> ${d}`));
    expect(upward).toEqual([]);
    expect([...workspaceFolders()].sort()).toEqual([...PACKAGES, TESTS_FOLDER].sort());
  });

  it('the pure generator packages reach no native engine or I/O driver, directly or through a workspace package', () => {
    // runtime dependencies only (devDependencies serve tests), followed through @streampulse/* packages
    const FORBIDDEN = ['@duckdb/node-api', 'better-sqlite3', 'mssql'];
    const PENDING: Readonly<Record<string, readonly string[]>> = {};
    const deps = (pkg: string): Record<string, string> =>
      readJson<{ dependencies?: Record<string, string> }>(join(ROOT, pkg, 'package.json')).dependencies ?? {};
    const reach = (pkg: string, via: string[] = []): { dep: string; path: string[] }[] =>
      Object.keys(deps(pkg)).flatMap((d) =>
        d.startsWith(SCOPE)
          ? reach(d.slice(SCOPE.length), [...via, pkg])
          : FORBIDDEN.includes(d) && !(PENDING[pkg] ?? []).includes(d)
            ? [{ dep: d, path: [...via, pkg] }]
            : [],
      );
    const violations = ['contracts', 'sql', 'jobs', 'pipelines', 'dashboards', 'infra'].flatMap((pkg) =>
      reach(pkg).map((r) => `${pkg} reaches ${r.dep} through ${r.path.join(' -> ')}`),
    );
    expect(violations).toEqual([]);
    // DuckDB lives in the engine, the database drivers in serving
    expect(Object.keys(deps('engine'))).toContain('@duckdb/node-api');
    expect(Object.keys(deps('serving'))).toEqual(expect.arrayContaining(['better-sqlite3', 'mssql']));
  });

  it('(a) package.json and tsconfig.json depend only on allowed @streampulse packages', () => {
    const violations = [...PACKAGES, TESTS_FOLDER].flatMap((pkg) => {
      const manifest = readJson<Manifest>(join(ROOT, pkg, 'package.json'));
      const tsconfig = readJson<{ references?: { path: string }[] }>(join(ROOT, pkg, 'tsconfig.json'));
      return [
        ...checkManifest(pkg, manifest, () => true).filter((v) => v.rule === 'a-manifest-dependency'),
        ...checkTsconfigReferences(
          pkg,
          (tsconfig.references ?? []).map((r) => r.path),
        ),
      ];
    });
    expect(violations.map(show)).toEqual([]);
  });

  it('(e) every package.json has exports (with the @streampulse/source condition) and type: module', () => {
    const violations = PACKAGES.flatMap((pkg) =>
      checkManifest(pkg, readJson<Manifest>(join(ROOT, pkg, 'package.json')), (p) => existsSync(join(ROOT, pkg, p))).filter(
        (v) => v.rule === 'e-manifest-shape',
      ),
    );
    expect(violations.map(show)).toEqual([]);
  });

  it('(b)(c)(d) imports follow the direction, use exports only and stay inside their package', () => {
    const sources = [...PACKAGES.flatMap((pkg) => [...readSources(pkg, 'src'), ...readSources(pkg, 'test')]), ...readSources(TESTS_FOLDER, 'test')];
    // Every package has at least its src/index.ts; an empty scan would prove nothing.
    for (const pkg of PACKAGES) expect(sources.some((s) => s.file === `${pkg}/src/index.ts`)).toBe(true);
    const violations = sources.flatMap((s) => checkImports(s, PACKAGES));
    expect(violations.map(show)).toEqual([]);
  });

  it('no package source hard-codes a StreamPulse dataset, model or mart name', () => {
    const dir = join(ROOT, 'contracts', 'streampulse');
    if (!existsSync(dir))
      throw new Error(
        'contracts/streampulse/ does not exist: the StreamPulse contracts must ship there (one YAML file per dataset/model/mart) ' +
          'so this test can assert that no package source hard-codes their names.',
      );
    const files = listFiles(dir, (n) => /\.ya?ml$/.test(n)).map((abs) => ({ file: rel(abs), text: readFileSync(abs, 'utf8') }));
    const names = contractNames(files);
    if (names.size === 0)
      throw new Error(`contracts/streampulse/ holds no file with a top-level dataset:, model: or mart: key (${files.length} YAML file(s) read)`);
    const violations = PACKAGES.flatMap((pkg) => readSources(pkg, 'src'))
      .flatMap((s) => checkHardcodedNames(s, names))
      .filter((v) => !NOT_CONTRACT_REFERENCES.some((x) => x.file === v.file && v.message.startsWith(`'${x.literal}' `)))
      .filter((v) => !NAMING_FILES.some((x) => x.file === v.file));
    expect(violations.map(show)).toEqual([]);
  });
});

describe('architecture: the checker catches violations (in-memory fakes)', () => {
  const fake = (pkg: string, area: Area, file: string, text: string): SourceFile => ({ pkg, area, file, text });

  it('reports imports against the direction, deep imports, escapes and unknown packages', () => {
    const text = [
      "import { loadContracts } from '@streampulse/contracts';", // allowed for sql
      "import { compileJobs } from '@streampulse/jobs';", // sql -> jobs points up
      "export * from '@streampulse/contracts/src/model.js';", // deep import
      "export { x } from '../../jobs/src/index.js';", // escapes sql/
      "import './local.js';", // fine: stays in sql/
      "import type { Y } from '@streampulse/nope';", // not a workspace package
      'type Z = typeof import("@streampulse/cli");', // type-level import, against the direction
      'export async function later(name: string) {',
      "  await import('@streampulse/pipelines');", // dynamic import against the direction
      '  return import(name);', // uncheckable
      '}',
      "// import { a } from '@streampulse/infra';", // a comment is not an import
      'const s = "import { b } from \'@streampulse/infra\'";', // nor is a string
      'void s; void compileJobs; void loadContracts;',
    ].join('\n');
    const found = checkImports(fake('sql', 'src', 'sql/src/bad.ts', text), PACKAGES).map((v) => `${v.line} ${v.rule}`);
    expect(found).toEqual([
      '2 b-import-direction',
      '3 c-deep-import',
      '4 d-relative-escape',
      '6 unknown-package',
      '7 b-import-direction',
      '9 b-import-direction',
      '10 uncheckable-import',
    ]);
  });

  it('reports deep imports in tests, allows a package test to import itself by name, but not its src', () => {
    const testText = "import { parseExpr } from '@streampulse/contracts';\njest.mock('@streampulse/contracts/dist/src/expr.js');\n";
    expect(checkImports(fake('contracts', 'test', 'contracts/test/x.test.ts', testText), PACKAGES).map((v) => v.rule)).toEqual(['c-deep-import']);
    const srcText = "export * from '@streampulse/contracts';\n";
    expect(checkImports(fake('contracts', 'src', 'contracts/src/x.ts', srcText), PACKAGES).map((v) => v.rule)).toEqual(['b-import-direction']);
    const crossText = "import '../../sql/src/index.js';\nimport '@streampulse/cli';\n";
    expect(checkImports(fake(TESTS_FOLDER, 'test', 'tests/test/x.test.ts', crossText), PACKAGES).map((v) => v.rule)).toEqual(['d-relative-escape']);
  });

  it('reports manifests and tsconfig references against the direction, and missing exports/type', () => {
    const bad: Manifest = { dependencies: { '@streampulse/contracts': 'workspace:*', '@streampulse/dashboards': 'workspace:*', zod: '4' } };
    expect(checkManifest('sources', bad, () => true).map((v) => `${v.rule}: ${v.message.split(',')[0]}`)).toEqual([
      'a-manifest-dependency: dependencies has @streampulse/dashboards',
      'e-manifest-shape: "type" must be "module" (is undefined)',
      'e-manifest-shape: "exports" is missing: a package is used only through its exports',
    ]);
    const noSource: Manifest = { type: 'module', exports: { '.': { default: './dist/src/index.js' } } };
    expect(checkManifest('sql', noSource, () => true).map((v) => v.rule)).toEqual(['e-manifest-shape']);
    expect(checkTsconfigReferences('jobs', ['../contracts', '../sql', '../pipelines']).map((v) => v.message)).toEqual([
      'references ../pipelines, but jobs may import only: contracts, sql',
    ]);
  });

  it('reports a contract name hard-coded as a string literal, not the same word elsewhere', () => {
    const names = contractNames([
      { file: 'contracts/streampulse/users.yaml', text: '# Registered accounts\ndataset: users\nversion: 1.0.0\n' },
      { file: 'contracts/streampulse/gold/dim_user.yaml', text: "model: 'dim_user'\n" },
      { file: 'contracts/streampulse/marts/kpi.yaml', text: 'mart: analytics_kpi_monthly # served\ngrain: [month]\n' },
      { file: 'contracts/streampulse/metrics.yaml', text: 'metrics:\n  - name: revenue\n    model: nested_is_ignored\n' },
    ]);
    expect([...names.keys()].sort()).toEqual(['analytics_kpi_monthly', 'dim_user', 'users']);
    const text = [
      "const table = 'dim_user';", // hard-coded
      'const view = `analytics_kpi_monthly`;', // hard-coded (template without substitutions)
      "const note = 'users of the product';", // a sentence, not the name
      'const users = 1; // users', // identifiers and comments are fine
      'void table; void view; void note; void users;',
    ].join('\n');
    expect(checkHardcodedNames(fake('jobs', 'src', 'jobs/src/x.ts', text), names).map((v) => `${v.line} ${v.message.split(' is ')[0]}`)).toEqual([
      "1 'dim_user'",
      "2 'analytics_kpi_monthly'",
    ]);
  });
});
