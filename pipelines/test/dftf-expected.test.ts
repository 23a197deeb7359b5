/**
 * What OUR executor evaluates, for Microsoft's data-factory-testing-framework to agree with.
 *
 * Each scenario runs a golden pipeline with the local executor (fake bindings; the outputs
 * of Get Metadata and Lookup activities are given) and records, for every activity run of
 * that pipeline in the order it started, the value our evaluator gave to each dynamic value
 * of the activity (each `{"value": …, "type": "Expression"}` object, by its path in the
 * activity JSON). jobs/python/tests/test_adf_testing_framework.py evaluates the same
 * pipeline with the same inputs in the framework (its .NET expression evaluator) and
 * compares with golden/dftf-expected.json, so the two evaluators must agree on every
 * dynamic value. Regenerate the fixture with UPDATE_GOLDEN=1 (this test fails while the
 * committed one differs).
 */
import { describe, expect, it } from '@jest/globals';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executePipeline, readFactoryDir, type ActivityBindings, type ActivityRun, type BoundActivity, type Json } from '@streampulse/pipelines';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const GOLDEN = join(ROOT, 'pipelines', 'test', 'golden', 'adf');
const FIXTURE = join(ROOT, 'pipelines', 'test', 'golden', 'dftf-expected.json');
const files = readFactoryDir(GOLDEN);
const manifest = files['control/manifest.json'] as { datasets: Record<string, Json>[]; waves: Record<string, Json>[][]; marts: Json[] };
/** The deploy step's job-ids file as the Lookup reads it. */
const JOB_IDS = { jobs: { 'streampulse-daily': 7, 'streampulse-step': 4242 } };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Scenario {
  readonly name: string;
  readonly pipeline: string;
  /** Run parameters (defaults are applied by both). */
  readonly parameters: Record<string, Json>;
  /** Outputs of the scenario pipeline's Get Metadata and Lookup activities, by activity name. */
  readonly outputs: Record<string, Json>;
  /** Activities of the scenario pipeline that fail (their binding throws). */
  readonly failing: readonly string[];
}

interface ExpectedActivity {
  readonly name: string;
  readonly type: string;
  readonly status: string;
  /** Path of each Expression object in the activity JSON → its evaluated value. */
  readonly dynamic: Record<string, Json>;
  /** The activity's output, where the next activities read it (Filter). */
  readonly output?: Json;
}

const entry = manifest.datasets[0]!;
const ingestParameters = (over: Record<string, Json> = {}): Record<string, Json> => ({
  dataset: entry['dataset']!,
  system: entry['system']!,
  landingFolder: entry['landingFolder']!,
  landingFile: entry['landingFile']!,
  bronzeJob: entry['bronzeJob']!,
  silverJob: entry['silverJob']!,
  runDate: '2026-01-25',
  databricksJobId: '4242',
  ...over,
});

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'pl_ingest_dataset: the source file exists',
    pipeline: 'pl_ingest_dataset',
    parameters: ingestParameters(),
    outputs: { 'Check source file': { exists: true } },
    failing: [],
  },
  {
    name: 'pl_ingest_dataset: no source file (NoData)',
    pipeline: 'pl_ingest_dataset',
    parameters: ingestParameters({ freshness: 'report' }),
    outputs: { 'Check source file': { exists: false } },
    failing: [],
  },
  {
    name: 'pl_ingest_dataset: the silver job fails',
    pipeline: 'pl_ingest_dataset',
    parameters: ingestParameters({ runDate: '2026-02-28' }),
    outputs: { 'Check source file': { exists: true } },
    failing: ['Silver'],
  },
  {
    name: 'pl_ingest_wave: one wave of the manifest',
    pipeline: 'pl_ingest_wave',
    parameters: { datasets: manifest.waves[0]!, runDate: '2026-01-25', databricksJobId: '4242' },
    outputs: {},
    failing: [],
  },
  {
    name: 'pl_daily_master: the golden manifest',
    pipeline: 'pl_daily_master',
    parameters: { runDate: '2026-01-25' },
    outputs: { 'Lookup control manifest': { firstRow: manifest as unknown as Json }, 'Lookup Databricks job ids': { firstRow: JOB_IDS } },
    failing: [],
  },
  {
    name: 'pl_hourly_master: the golden manifest',
    pipeline: 'pl_hourly_master',
    parameters: { runDate: '2026-01-26', freshness: 'report' },
    outputs: { 'Lookup control manifest': { firstRow: manifest as unknown as Json }, 'Lookup Databricks job ids': { firstRow: JOB_IDS } },
    failing: [],
  },
];

/** The activity JSON of every activity of a pipeline (nested ones included), by name. */
function activityDocs(pipeline: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const a of list.filter(isObj)) {
      out.set(String(a['name']), a);
      const tp = isObj(a['typeProperties']) ? a['typeProperties'] : {};
      for (const k of ['activities', 'ifTrueActivities', 'ifFalseActivities', 'defaultActivities']) walk(tp[k]);
      if (Array.isArray(tp['cases'])) for (const c of tp['cases'].filter(isObj)) walk(c['activities']);
    }
  };
  walk((files[`pipeline/${pipeline}.json`] as { properties: { activities: unknown } }).properties.activities);
  return out;
}

const NESTED = new Set(['activities', 'ifTrueActivities', 'ifFalseActivities', 'defaultActivities', 'cases']);

/** The paths of the Expression objects of an activity's typeProperties, inputs and outputs (the framework's path spelling). */
function expressionPaths(doc: Obj): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isObj(v)) {
      const keys = Object.keys(v);
      if (v['type'] === 'Expression' && keys.length === 2 && keys.includes('value')) out.push(path);
      else for (const k of keys) if (!NESTED.has(k)) walk(v[k], `${path}.${k}`);
    }
  };
  for (const k of ['typeProperties', 'inputs', 'outputs']) walk(doc[k], k);
  return out;
}

function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isObj(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** What our executor evaluated for one activity run, in the shape of the activity JSON. */
function evaluatedView(run: ActivityRun, doc: Obj): Obj {
  const input = isObj(run.input) ? run.input : {};
  switch (run.activityType) {
    case 'ExecutePipeline':
      return { typeProperties: { parameters: input['parameters'] } };
    case 'IfCondition':
    case 'Fail':
      return { typeProperties: input };
    default: {
      // bound activities: the input is the evaluated typeProperties; the fake binding returned the evaluated dataset references
      const datasets = isObj(run.output) && isObj(run.output['datasets']) ? run.output['datasets'] : {};
      const refs = (k: 'inputs' | 'outputs'): Obj[] =>
        (Array.isArray(doc[k]) ? (doc[k] as Obj[]) : []).map((r, i) => ({ ...r, parameters: (datasets[k] as Json[] | undefined)?.[i] ?? null }));
      return { typeProperties: input, inputs: refs('inputs'), outputs: refs('outputs') };
    }
  }
}

/** Runs one scenario with the local executor and returns what the framework must agree with. */
async function expected(s: Scenario): Promise<Obj> {
  let tick = 0;
  let ids = 0;
  const start = Date.UTC(2026, 0, 1);
  const mine = (a: BoundActivity): boolean => a.pipelineName === s.pipeline;
  const bound = async (a: BoundActivity): Promise<Json> => {
    if (mine(a) && s.failing.includes(a.name)) throw new Error(`${a.name} fails in this scenario`);
    const params = (d: readonly { parameters: Readonly<Record<string, Json>> }[]): Json[] => d.map((x) => ({ ...x.parameters }));
    return { datasets: { inputs: params(a.inputs), outputs: params(a.outputs) } };
  };
  const bindings: ActivityBindings = {
    getMetadata: async (a) => (mine(a) ? (s.outputs[a.name] ?? { exists: true }) : { exists: true }),
    lookup: async (a) => {
      const out = mine(a) ? s.outputs[a.name] : undefined;
      if (out === undefined) throw new Error(`scenario '${s.name}' gives no output for Lookup '${a.name}'`);
      return out;
    },
    copy: bound,
    databricks: bound,
    storedProcedure: bound,
  };
  const result = await executePipeline(s.pipeline, {
    files,
    parameters: s.parameters,
    bindings,
    sleep: async () => {},
    // a clock that ticks once a reading: activity runs sort by the order they started
    now: () => new Date(start + 1000 * tick++),
    newId: () => `dftf-${String(++ids).padStart(4, '0')}`,
  });
  const docs = activityDocs(s.pipeline);
  const own = result.activityRuns.filter((r) => r.pipelineRunId === result.runId);
  // one entry per activity (and ForEach item): the last attempt of a retried activity, at the place of its first
  const byKey = new Map<string, { first: string; run: ActivityRun }>();
  for (const r of own) {
    const key = `${r.activityName}|${JSON.stringify(r.iterationItem ?? null)}`;
    const seen = byKey.get(key);
    byKey.set(key, { first: seen?.first ?? r.activityRunStart, run: r });
  }
  const runs = [...byKey.values()].sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : 0)).map((x) => x.run);
  const activities: ExpectedActivity[] = [];
  const controls: Record<string, Json> = {};
  for (const r of runs) {
    const doc = docs.get(r.activityName)!;
    if (r.status === 'Skipped') continue;
    if (r.activityType === 'IfCondition') controls[r.activityName] = { expression: (r.input as Obj)['expression'] as Json };
    if (r.activityType === 'ForEach') controls[r.activityName] = { items: (r.input as Obj)['items'] as Json };
    // the framework yields every activity but the containers (If Condition, ForEach, Switch, Until)
    if (['IfCondition', 'ForEach', 'Switch', 'Until'].includes(r.activityType)) continue;
    if (r.activityType === 'Filter') {
      // compared by its output: the condition is evaluated once per item, the framework keeps only the last
      activities.push({ name: r.activityName, type: r.activityType, status: r.status, dynamic: {}, output: r.output });
      continue;
    }
    const view = evaluatedView(r, doc);
    const dynamic: Record<string, Json> = {};
    for (const p of expressionPaths(doc)) {
      const v = at(view, p);
      if (v === undefined) throw new Error(`${s.name}: our executor shows no evaluated value at ${r.activityName} ${p}`);
      dynamic[p] = v as Json;
    }
    activities.push({ name: r.activityName, type: r.activityType, status: r.status, dynamic });
  }
  const skipped = own.filter((r) => r.status === 'Skipped').map((r) => r.activityName);
  return {
    name: s.name,
    pipeline: s.pipeline,
    parameters: s.parameters,
    system: { RunId: result.runId, Pipeline: s.pipeline },
    outputs: s.outputs,
    failing: s.failing,
    status: result.status,
    activities,
    controls,
    skipped,
  };
}

describe('the expected evaluations for data-factory-testing-framework (golden/dftf-expected.json)', () => {
  it('are what the local executor evaluates (UPDATE_GOLDEN=1 rewrites the fixture)', async () => {
    const doc = {
      comment:
        'Generated by pipelines/test/dftf-expected.test.ts (UPDATE_GOLDEN=1) from the local executor; read by jobs/python/tests/test_adf_testing_framework.py',
      scenarios: await Promise.all(SCENARIOS.map(expected)),
    };
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(FIXTURE, text);
    expect(readFileSync(FIXTURE, 'utf8')).toBe(text);
  });

  it('cover every dynamic value of the activities that ran, the branches and the failure path', async () => {
    const [exists, noData, failing, wave, daily] = await Promise.all(SCENARIOS.slice(0, 5).map(expected));
    const names = (s: Obj | undefined): string[] => (s!['activities'] as ExpectedActivity[]).map((a) => a.name);
    expect(names(exists)).toStrictEqual(['Check source file', 'Copy source to landing', 'Bronze', 'Silver']);
    expect(names(noData)).toStrictEqual(['Check source file', 'Record no data', 'Bronze', 'Silver']);
    expect(names(failing)).toStrictEqual(['Check source file', 'Copy source to landing', 'Bronze', 'Silver', 'Record ingestion failure', 'Fail ingestion']);
    expect(names(wave)).toStrictEqual(manifest.waves[0]!.map(() => 'Ingest dataset'));
    expect(names(daily).filter((n) => n === 'Copy mart to SQL staging').length).toBe(manifest.marts.length);
    expect([exists!['skipped'], noData!['skipped'], failing!['skipped']]).toStrictEqual([
      ['Record ingestion failure', 'Fail ingestion'],
      ['Record ingestion failure', 'Fail ingestion'],
      [],
    ]);
    const fail = (failing!['activities'] as ExpectedActivity[]).at(-1)!;
    expect(fail.dynamic).toStrictEqual({
      'typeProperties.message': `ingestion of ${String(entry['dataset'])} for 2026-02-28 failed; see the activity runs of this pipeline run`,
    });
  });
});
