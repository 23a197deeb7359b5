/**
 * The scale benchmark of `generate` (issue 22): the synthetic contracts (deterministic,
 * valid for the real loader, varied), the `bench generate` command's output (figures are
 * not checked — timed assertions are not made), and the Data Factory output for 5,000
 * synthetic dataset contracts within every documented service limit and rule.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fastParseYaml, loadContractFiles, YamlSource, type ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { syntheticContractFiles, syntheticDatasetYaml } from '@streampulse/bench';
import { formatProblem, generateFactory, limitProblems, validateFactory } from '@streampulse/pipelines';
import type { GenerateBenchResult } from '../src/commands/bench-generate.js';
import { generateInput } from '../src/generate/input.js';
import { TARGETS } from '../src/generate/targets.js';
import { ROOT, run } from './run.js';

const SHIPPED = join(ROOT, 'contracts', 'streampulse');
function shippedFiles(dir = SHIPPED): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) =>
      e.isDirectory()
        ? shippedFiles(join(dir, e.name))
        : e.name.endsWith('.yaml')
          ? [{ file: relative(SHIPPED, join(dir, e.name)), text: readFileSync(join(dir, e.name), 'utf8') }]
          : [],
    );
}
function syntheticSet(n: number): ContractSet {
  const r = loadContractFiles([...shippedFiles(), ...syntheticContractFiles(n)]);
  expect(r.issues).toStrictEqual([]);
  return r.contracts!;
}

describe('synthetic dataset contracts', () => {
  it('are deterministic for a seed and differ between seeds', () => {
    expect(syntheticDatasetYaml(7, 'a')).toBe(syntheticDatasetYaml(7, 'a'));
    expect(syntheticDatasetYaml(7, 'a')).not.toBe(syntheticDatasetYaml(7, 'b'));
  });

  it('load cleanly beside the shipped contracts, varied: schedules, formats, PII policies, referential rules, SCD2', () => {
    const set = syntheticSet(300);
    const synth = set.datasets.filter((d) => d.dataset.startsWith('synth_'));
    expect(synth).toHaveLength(300);
    expect(new Set(synth.map((d) => d.source.schedule))).toStrictEqual(new Set(['daily', 'hourly']));
    expect(new Set(synth.map((d) => d.source.format))).toStrictEqual(new Set(['csv', 'jsonl']));
    const policies = new Set(synth.flatMap((d) => d.columns.flatMap((c) => (c.pii ? [c.pii.policy] : []))));
    expect(policies).toStrictEqual(new Set(['keep', 'pseudonymise', 'drop']));
    const refs = synth.flatMap((d) => d.quality.flatMap((q) => (q.rule === 'referential' ? [q.references.dataset] : [])));
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.every((x) => x.startsWith('synth_'))).toBe(true);
    expect(synth.some((d) => d.silver.scd.type === 2)).toBe(true);
  });
  it('are read by the fast YAML path, each to exactly the value of the positioned yaml Document', () => {
    // The loader reads a contract with js-yaml and builds the `yaml` Document only for
    // positions (contracts/src/yaml-source.ts): both must mean the same on what the benchmark loads.
    for (const { file, text } of syntheticContractFiles(400, 'equivalence')) {
      const doc = new YamlSource(file, text).doc;
      expect([file, doc.errors]).toStrictEqual([file, []]);
      expect([file, fastParseYaml(text)?.value]).toStrictEqual([file, doc.toJS({ maxAliasCount: 100 })]);
    }
  });
});

describe('generate from contracts read by the fast YAML readers', () => {
  it('is byte-identical, target by target, to generate from the same contracts read through the yaml Document', () => {
    // A `%YAML 1.2` directive changes nothing in the meaning and makes both fast readers
    // decline: the second set is read the way the loader read every file before them.
    const files = [...shippedFiles(), ...syntheticContractFiles(300, 'bytes')];
    const generate = (fs: readonly { file: string; text: string }[]): Record<string, Readonly<Record<string, unknown>>> => {
      const r = loadContractFiles(fs);
      expect(r.issues).toStrictEqual([]);
      const input = generateInput(ROOT, r.contracts!, { stack: 'dev' });
      return Object.fromEntries(TARGETS.map((t) => [t.name, t.files(input)]));
    };
    expect(fastParseYaml(`%YAML 1.2\n---\n${files[0]!.text}`)).toBeUndefined();
    const fast = generate(files);
    const document = generate(files.map((f) => ({ file: f.file, text: `%YAML 1.2\n---\n${f.text}` })));
    expect(Object.keys(fast)).toStrictEqual(TARGETS.map((t) => t.name));
    for (const t of TARGETS) expect([t.name, fast[t.name]]).toStrictEqual([t.name, document[t.name]]);
    expect(Object.keys(fast['odcs']!).length).toBeGreaterThan(300);
  }, 120_000);
});

describe('the Data Factory output for 5,000 synthetic dataset contracts (documented limits; Azure not reachable here)', () => {
  it('passes adf validation: every rule and every service limit', async () => {
    const set = syntheticSet(5000);
    expect(set.datasets.length).toBe(5000 + shippedFiles().filter((f) => f.file.startsWith('datasets/')).length);
    const factory = generateFactory(set, compileJobs(set), {}).files;
    expect(limitProblems(factory)).toStrictEqual([]);
    expect((await validateFactory(factory)).map(formatProblem)).toStrictEqual([]);
    const manifest = factory['control/manifest.json'] as { datasets: unknown[]; waves: unknown[][] };
    expect(manifest.datasets).toHaveLength(set.datasets.length);
    expect(manifest.waves.flat()).toHaveLength(set.datasets.length);
  }, 300_000);
});

describe('streampulse bench generate', () => {
  it('prints every step of every size as JSON, the factory within the limits', async () => {
    const r = await run(['bench', 'generate', '--sizes', '3,12', '--seed', 'x', '--json'], { cwd: ROOT });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as GenerateBenchResult;
    expect(result.seed).toBe('x');
    expect(result.rows.map((x) => x.synthetic)).toStrictEqual([3, 12]);
    expect(result.targets).toEqual(expect.arrayContaining(['adf', 'databricks', 'sql', 'metabase']));
    for (const row of result.rows) {
      expect(Object.keys(row.seconds).sort()).toStrictEqual(['load + validate', 'plan + input', ...result.targets, 'write'].sort());
      expect(row.adf_problems).toStrictEqual([]);
      expect(row.files).toBeGreaterThan(0);
      expect(row.cpu_seconds).toBeGreaterThan(0);
    }
    expect(result.rows[1]!.datasets - result.rows[0]!.datasets).toBe(9);
    expect(result.goal).toStrictEqual({ contracts: 5000, seconds: 5, measured_seconds: null, met: null });
  }, 120_000);

  it('prints the table and the goal as not measured without 5,000 in --sizes', async () => {
    const r = await run(['bench', 'generate', '--sizes', '2'], { cwd: ROOT });
    expect(r.code).toBe(0);
    expect(r.out).toContain('load + validate');
    expect(r.out).toContain('Data Factory limits + rules');
    expect(r.out).toContain('CPU (process, all threads)');
    expect(r.out).toMatch(/5,000 contracts through generate in under 5 s: not measured/);
  }, 120_000);

  it('rejects bad --sizes with exit 2', async () => {
    const r = await run(['bench', 'generate', '--sizes', '0,x'], { cwd: ROOT });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--sizes "0,x"');
  });
});
