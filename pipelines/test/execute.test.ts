/**
 * The local executor: dependency conditions and ADF's pipeline-status rule (leaves;
 * a skipped leaf stands for its parents), failure paths, retries, ForEach
 * (sequential and batched), control flow, and the generated pipelines end to end
 * with fake bindings.
 */
import { describe, expect, it } from '@jest/globals';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executePipeline, readFactoryDir, type ActivityBindings, type ExecuteOptions, type Json } from '@streampulse/pipelines';

type Doc = Record<string, unknown>;
const ok = (name: string, dependsOn: Doc[] = [], extra: Doc = {}): Doc => ({
  name,
  type: 'Wait',
  dependsOn,
  typeProperties: { waitTimeInSeconds: 0 },
  ...extra,
});
const fail = (name: string, dependsOn: Doc[] = []): Doc => ({ name, type: 'Fail', dependsOn, typeProperties: { message: `${name} broke`, errorCode: 'E1' } });
const on = (activity: string, ...dependencyConditions: string[]): Doc => ({ activity, dependencyConditions });
const factory = (activities: Doc[], more: Doc = {}, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  'pipeline/p.json': { name: 'p', properties: { activities, ...more } },
  ...extra,
});
const opts = (files: Record<string, unknown>, o: Partial<ExecuteOptions> = {}): ExecuteOptions => ({ files, sleep: async () => {}, ...o });
const run = async (activities: Doc[], more: Doc = {}, o: Partial<ExecuteOptions> = {}) => executePipeline('p', opts(factory(activities, more), o));
const statuses = (r: { activityRuns: readonly { activityName: string; status: string }[] }): Record<string, string> =>
  Object.fromEntries(r.activityRuns.map((x) => [x.activityName, x.status]));

describe('dependency conditions and pipeline status (ADF rules)', () => {
  it('a failing activity runs its Failed branch and skips its Succeeded dependents', async () => {
    const r = await run([fail('A'), ok('OnSuccess', [on('A', 'Succeeded')]), ok('OnFailure', [on('A', 'Failed')]), ok('OnCompletion', [on('A', 'Completed')])]);
    expect(statuses(r)).toStrictEqual({ A: 'Failed', OnSuccess: 'Skipped', OnFailure: 'Succeeded', OnCompletion: 'Succeeded' });
    // Do-If-Else: the skipped success leaf stands for its failed parent → the pipeline fails
    expect(r.status).toBe('Failed');
    expect(r.message).toBe('Operation on target A failed: A broke');
  });

  it('Try-Catch (only an Upon Failure path): the pipeline succeeds when the handler does', async () => {
    const failing = await run([fail('A'), ok('Catch', [on('A', 'Failed')])]);
    expect([failing.status, statuses(failing)]).toStrictEqual(['Succeeded', { A: 'Failed', Catch: 'Succeeded' }]);
    const passing = await run([ok('A'), ok('Catch', [on('A', 'Failed')])]);
    expect([passing.status, statuses(passing)]).toStrictEqual(['Succeeded', { A: 'Succeeded', Catch: 'Skipped' }]);
  });

  it('Do-If-Skip-Else: a dummy Upon Skip after the success path makes a handled failure succeed', async () => {
    const r = await run([
      fail('A'),
      ok('UponSuccess', [on('A', 'Succeeded')]),
      ok('UponFailure', [on('A', 'Failed')]),
      ok('DummyUponSkip', [on('UponSuccess', 'Skipped')]),
    ]);
    expect(statuses(r)).toStrictEqual({ A: 'Failed', UponSuccess: 'Skipped', UponFailure: 'Succeeded', DummyUponSkip: 'Succeeded' });
    expect(r.status).toBe('Succeeded');
  });

  it('an activity with several dependencies runs only when all are satisfied; Skipped propagates', async () => {
    const r = await run([ok('A'), fail('B'), ok('C', [on('A', 'Succeeded'), on('B', 'Succeeded')]), ok('D', [on('C', 'Skipped')])]);
    expect(statuses(r)).toStrictEqual({ A: 'Succeeded', B: 'Failed', C: 'Skipped', D: 'Succeeded' });
    // leaves: D succeeded — but B is a leaf? no: C depends on B. Leaves are D only → Succeeded
    expect(r.status).toBe('Succeeded');
  });

  it('a failed leaf fails the pipeline', async () => {
    const r = await run([ok('A'), fail('B', [on('A', 'Succeeded')])]);
    expect(r.status).toBe('Failed');
  });
});

describe('retries', () => {
  it('retries a failing activity policy.retry times, each attempt an activity run, then follows Failed', async () => {
    let calls = 0;
    const waits: number[] = [];
    const bindings: ActivityBindings = {
      copy: async () => {
        calls++;
        if (calls < 3) throw new Error(`transient ${calls}`);
        return { rowsCopied: 7 };
      },
    };
    const copy = { name: 'Copy', type: 'Copy', dependsOn: [], policy: { retry: 2, retryIntervalInSeconds: 5 }, typeProperties: {} };
    const r = await run([copy, ok('After', [on('Copy', 'Succeeded')])], {}, { bindings, sleep: async (ms) => void waits.push(ms) });
    expect(r.activityRuns.map((x) => [x.activityName, x.status, x.retryAttempt])).toStrictEqual([
      ['Copy', 'Failed', 0],
      ['Copy', 'Failed', 1],
      ['Copy', 'Succeeded', 2],
      ['After', 'Succeeded', null],
    ]);
    expect(waits).toStrictEqual([5000, 5000, 0]); // two retry intervals, then the Wait activity
    expect(r.activityRuns[0]!.error).toStrictEqual({ errorCode: 'ActivityFailed', message: 'transient 1', failureType: 'SystemError', target: 'Copy' });
    expect(r.status).toBe('Succeeded');
  });

  it('gives up after the last retry', async () => {
    const copy = { name: 'Copy', type: 'Copy', dependsOn: [], policy: { retry: 1, retryIntervalInSeconds: 1 }, typeProperties: {} };
    const r = await run([copy], {}, { bindings: { copy: async () => Promise.reject(new Error('down')) } });
    expect(r.activityRuns.map((x) => x.status)).toStrictEqual(['Failed', 'Failed']);
    expect(r.status).toBe('Failed');
  });
});

describe('ForEach', () => {
  const loop = (isSequential: boolean, batchCount?: number): Doc => ({
    name: 'Loop',
    type: 'ForEach',
    dependsOn: [],
    typeProperties: {
      items: { value: '@createArray(1, 2, 3, 4, 5)', type: 'Expression' },
      isSequential,
      ...(batchCount !== undefined ? { batchCount } : {}),
      activities: [{ name: 'Work', type: 'Copy', dependsOn: [], typeProperties: { n: '@item()' } }],
    },
  });
  const tracking = (): { bindings: ActivityBindings; order: Json[]; maxActive: () => number } => {
    let active = 0;
    let max = 0;
    const order: Json[] = [];
    return {
      order,
      maxActive: () => max,
      bindings: {
        copy: async (a) => {
          active++;
          max = Math.max(max, active);
          await new Promise((res) => setTimeout(res, 5));
          order.push(a.typeProperties['n'] as Json);
          active--;
          if (a.typeProperties['n'] === 4) throw new Error('item 4 is bad');
          return { n: a.typeProperties['n'] as Json };
        },
      },
    };
  };

  it('sequential: one item at a time, in order; a failed iteration fails the ForEach after all ran', async () => {
    const t = tracking();
    const r = await run([loop(true)], {}, { bindings: t.bindings });
    expect(t.order).toStrictEqual([1, 2, 3, 4, 5]);
    expect(t.maxActive()).toBe(1);
    const forEach = r.activityRuns.find((x) => x.activityName === 'Loop')!;
    expect(forEach.status).toBe('Failed');
    expect(forEach.error!.message).toBe('1 of 5 iteration(s) failed: Work (item 4): item 4 is bad');
    expect(r.activityRuns.filter((x) => x.activityName === 'Work').map((x) => x.iterationItem)).toStrictEqual([1, 2, 3, 4, 5]);
  });

  it('batched: at most batchCount iterations at once', async () => {
    const t = tracking();
    await run([loop(false, 2)], {}, { bindings: t.bindings });
    expect(t.maxActive()).toBe(2);
    expect([...t.order].sort()).toStrictEqual([1, 2, 3, 4, 5]);
  });
});

describe('control flow and variables', () => {
  it('SetVariable, AppendVariable, IfCondition, Switch, Until and item()/activity() expressions', async () => {
    const r = await run(
      [
        { name: 'Init', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'n', value: '@string(0)' } },
        {
          name: 'Count',
          type: 'Until',
          dependsOn: [on('Init', 'Succeeded')],
          typeProperties: {
            expression: { value: "@greaterOrEquals(int(variables('n')), 3)", type: 'Expression' },
            activities: [
              { name: 'Inc', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'n', value: "@string(add(int(variables('n')), 1))" } },
              { name: 'Log', type: 'AppendVariable', dependsOn: [on('Inc', 'Succeeded')], typeProperties: { variableName: 'log', value: "@variables('n')" } },
            ],
          },
        },
        {
          name: 'Branch',
          type: 'IfCondition',
          dependsOn: [on('Count', 'Succeeded')],
          typeProperties: {
            expression: { value: "@equals(length(variables('log')), 3)", type: 'Expression' },
            ifTrueActivities: [{ name: 'Yes', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'picked', value: 'yes' } }],
            ifFalseActivities: [fail('No')],
          },
        },
        {
          name: 'Pick',
          type: 'Switch',
          dependsOn: [on('Branch', 'Succeeded')],
          typeProperties: {
            on: { value: "@variables('picked')", type: 'Expression' },
            cases: [
              {
                value: 'yes',
                activities: [
                  {
                    name: 'Case yes',
                    type: 'SetVariable',
                    dependsOn: [],
                    typeProperties: { variableName: 'picked', value: "@concat('switched:', join(variables('log'), ','))" },
                  },
                ],
              },
            ],
            defaultActivities: [fail('Default')],
          },
        },
      ],
      { variables: { n: { type: 'String' }, log: { type: 'Array' }, picked: { type: 'String' } } },
    );
    expect(r.status).toBe('Succeeded');
    const last = r.activityRuns.filter((x) => x.activityName === 'Case yes')[0]!;
    expect(last.output).toStrictEqual({ name: 'picked', value: 'switched:1,2,3' });
    expect(r.activityRuns.find((x) => x.activityName === 'Count')!.output).toStrictEqual({ iterations: 3 });
  });

  it('Filter keeps the items whose condition holds (item() is the element) and outputs them as value, as documented', async () => {
    const filter = {
      name: 'Big',
      type: 'Filter',
      dependsOn: [],
      typeProperties: { items: { value: '@pipeline().parameters.xs', type: 'Expression' }, condition: { value: '@greater(item().n, 1)', type: 'Expression' } },
    };
    const use = {
      name: 'Use',
      type: 'SetVariable',
      dependsOn: [on('Big', 'Succeeded')],
      typeProperties: { variableName: 'v', value: "@string(activity('Big').output.value)" },
    };
    const more = { parameters: { xs: { type: 'Array' } }, variables: { v: { type: 'String' } } };
    const r = await run([filter, use], more, { parameters: { xs: [{ n: 1 }, { n: 2 }, { n: 3 }] } });
    expect(r.activityRuns[0]!.output).toStrictEqual({ ItemsCount: 3, FilteredItemsCount: 2, Value: [{ n: 2 }, { n: 3 }] });
    expect(r.activityRuns[1]!.output).toStrictEqual({ name: 'v', value: '[{"n":2},{"n":3}]' });
    const notBool = await run([{ ...filter, typeProperties: { ...filter.typeProperties, condition: { value: '@item().n', type: 'Expression' } } }], more, {
      parameters: { xs: [{ n: 1 }] },
    });
    expect(notBool.activityRuns[0]!.error?.message).toBe('the Filter condition must be a Boolean, got 1 for item {"n":1}');
  });

  it('an expression error fails the activity with InvalidTemplate', async () => {
    const r = await run([{ name: 'Bad', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'v', value: "@int('x')" } }], {
      variables: { v: { type: 'String' } },
    });
    expect(r.activityRuns[0]!.error).toStrictEqual({
      errorCode: 'InvalidTemplate',
      message: "at column 2: int(): 'x' is not an integer",
      failureType: 'UserError',
      target: 'Bad',
    });
  });

  it('GetMetadata reads the local file at resolvePath: exists false with "exists" in the fieldList, a failure without it (as documented)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-getmeta-'));
    try {
      mkdirSync(join(dir, 'drop', '2026-01-25'), { recursive: true });
      writeFileSync(join(dir, 'drop', '2026-01-25', 'a.csv'), 'id\n1\n');
      const files = factory(
        [],
        {},
        {
          'dataset/ds.json': {
            name: 'ds',
            properties: {
              type: 'Binary',
              linkedServiceName: { referenceName: 'ls', type: 'LinkedServiceReference' },
              parameters: { day: { type: 'String' }, file: { type: 'String' } },
              typeProperties: {
                location: {
                  type: 'AzureBlobStorageLocation',
                  container: 'drop',
                  folderPath: { value: '@dataset().day', type: 'Expression' },
                  fileName: { value: '@dataset().file', type: 'Expression' },
                },
              },
            },
          },
        },
      );
      const check = (name: string, file: string, fieldList: unknown): Doc => ({
        name,
        type: 'GetMetadata',
        dependsOn: [],
        typeProperties: { dataset: { referenceName: 'ds', type: 'DatasetReference', parameters: { day: '2026-01-25', file } }, fieldList },
      });
      const branch = {
        name: 'Branch',
        type: 'IfCondition',
        dependsOn: [on('Missing', 'Succeeded')],
        typeProperties: {
          expression: { value: "@activity('Missing').output.exists", type: 'Expression' },
          ifTrueActivities: [ok('Copy it')],
          ifFalseActivities: [ok('Note no data')],
        },
      };
      (files['pipeline/p.json'] as { properties: { activities: Doc[] } }).properties.activities.push(
        check('Present', 'a.csv', ['exists', 'itemName', 'itemType', 'size']),
        check('Missing', 'b.csv', ['exists']),
        check('Strict', 'b.csv', ['size']),
        check('Odd', 'a.csv', ['rowCount']),
        branch,
      );
      const resolvePath = (d: { location?: { container?: string; folderPath?: string; fileName?: string } }): string =>
        join(dir, d.location?.container ?? '', d.location?.folderPath ?? '', d.location?.fileName ?? '');
      const r = await executePipeline('p', opts(files, { resolvePath }));
      const out = (n: string) => r.activityRuns.find((x) => x.activityName === n)!;
      expect(out('Present').output).toStrictEqual({ exists: true, itemName: 'a.csv', itemType: 'File', size: 5 });
      expect(out('Missing').output).toStrictEqual({ exists: false });
      expect(out('Strict').error).toStrictEqual({
        errorCode: 'PathNotFound',
        message: "the item of dataset 'ds' (drop/2026-01-25/b.csv) does not exist; ask for 'exists' in the fieldList to get exists: false instead of a failure",
        failureType: 'UserError',
        target: 'Strict',
      });
      expect(out('Odd').error!.message).toBe(
        "Get Metadata 'Odd' asks for rowCount; the metadata fields are itemName, itemType, size, created, lastModified, childItems, contentMD5, structure, columnCount, exists",
      );
      // the If Condition on the output: the false branch ran, the true branch did not
      expect([out('Branch').output, out('Note no data').status, r.activityRuns.some((x) => x.activityName === 'Copy it')]).toStrictEqual([
        { ifCondition: false },
        'Succeeded',
        false,
      ]);
      // a binding answers instead of the file system; the executor keeps the fieldList's fields
      const bound = await executePipeline(
        'p',
        opts(files, { bindings: { getMetadata: async (a) => ({ exists: a.dataset?.location?.fileName === 'a.csv', size: 1, itemName: 'x' }) } }),
      );
      expect(bound.activityRuns.find((x) => x.activityName === 'Present')!.output).toStrictEqual({ exists: true, itemName: 'x', size: 1 });
      const none = await run([check('Present', 'a.csv', ['exists'])]);
      expect(none.activityRuns[0]!.error!.errorCode).toBe('DatasetNotFound');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ExecutePipeline passes parameters and fails when the child fails', async () => {
    const files = {
      ...factory(
        [
          {
            name: 'Child',
            type: 'ExecutePipeline',
            dependsOn: [],
            typeProperties: {
              pipeline: { referenceName: 'c', type: 'PipelineReference' },
              waitOnCompletion: true,
              parameters: { x: "@concat(pipeline().parameters.prefix, '-1')" },
            },
          },
        ],
        {
          parameters: { prefix: { type: 'String', defaultValue: 'run' } },
        },
      ),
      'pipeline/c.json': { name: 'c', properties: { parameters: { x: { type: 'String' } }, activities: [fail('Boom')] } },
    };
    (files['pipeline/c.json'] as { properties: { activities: Doc[] } }).properties.activities[0]!['typeProperties'] = {
      message: "@concat('child got ', pipeline().parameters.x)",
      errorCode: 'E2',
    };
    const r = await executePipeline('p', opts(files));
    expect(r.status).toBe('Failed');
    expect(r.activityRuns.map((x) => [x.pipelineName, x.activityName, x.status])).toStrictEqual([
      ['c', 'Boom', 'Failed'],
      ['p', 'Child', 'Failed'],
    ]);
    expect(r.activityRuns[1]!.error!.message).toMatch(/^pipeline 'c' \(run .*\) failed: Operation on target Boom failed: child got run-1$/);
  });

  it('parameters from the command line are coerced to their declared types; unknown or missing ones are refused', async () => {
    const more = { parameters: { n: { type: 'Int' }, flag: { type: 'Bool', defaultValue: false } } };
    const act = [{ name: 'S', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'v', value: '@string(add(pipeline().parameters.n, 1))' } }];
    const r = await run(act, { ...more, variables: { v: { type: 'String' } } }, { parameters: { n: '41' } });
    expect(r.activityRuns[0]!.output).toStrictEqual({ name: 'v', value: '42' });
    await expect(run(act, more, { parameters: { n: 'x' } })).rejects.toThrow("parameter 'n' of pipeline 'p' is Int; 'x' is not");
    await expect(run(act, more, {})).rejects.toThrow("pipeline 'p' needs parameter 'n' (Int)");
    await expect(run(act, more, { parameters: { n: '1', m: '2' } })).rejects.toThrow("pipeline 'p' has no parameter 'm'");
  });
});

describe('the generated pipelines, with fake bindings', () => {
  const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
  const files = readFactoryDir(join(ROOT, 'pipelines', 'test', 'golden', 'adf'));
  type Entry = { dataset: string; schedule: string };
  const manifest = files['control/manifest.json'] as { datasets: Entry[]; waves: Entry[][]; marts: unknown[] };
  const STEP_JOB_ID = 4242;
  /** Fake bindings; `missing` datasets sent no source file (their landing folder holds `<dataset>`). */
  const fakes = (failJob?: string, missing: readonly string[] = []): { bindings: ActivityBindings; calls: string[]; lookups: string[] } => {
    const calls: string[] = [];
    const lookups: string[] = [];
    return {
      calls,
      lookups,
      bindings: {
        // the source drop: Get Metadata (exists) of the day's file
        getMetadata: async (a) => {
          const loc = a.dataset?.location;
          calls.push(`getMetadata ${loc?.container}/${loc?.folderPath}/${loc?.fileName}`);
          return { exists: !missing.some((d) => `${loc?.folderPath}/${loc?.fileName}`.includes(d)), itemName: loc?.fileName ?? '' };
        },
        // the control file system: the manifest and the deploy step's job-ids file
        lookup: async (a) => {
          const file = a.dataset?.location?.fileName ?? '';
          lookups.push(`${a.dataset?.location?.fileSystem}/${file}`);
          if (file === 'manifest.json') return { firstRow: manifest as unknown as Json };
          if (file === 'databricks_jobs.json') return { firstRow: { jobs: { 'streampulse-daily': 7, 'streampulse-step': STEP_JOB_ID } } };
          throw new Error(`no control file ${file}`);
        },
        copy: async (a) => {
          calls.push(`copy ${a.outputs[0]!.location?.folderPath ?? a.outputs[0]!.parameters['table']}`);
          return { filesWritten: 1 };
        },
        databricks: async (a) => {
          expect(a.type).toBe('DatabricksJob');
          const p = a.typeProperties['jobParameters'] as Record<string, string>;
          calls.push(
            `databricks ${a.typeProperties['jobId']} ${p['command']} job=${p['job']} layer=${p['layer']} run_date=${p['run_date']} freshness=${p['freshness']}`,
          );
          if (p['job'] === failJob) throw new Error(`job ${failJob} failed`);
          return { runPageUrl: 'local' };
        },
        storedProcedure: async (a) => {
          calls.push(`sp ${String(a.typeProperties['storedProcedureName'])} ${JSON.stringify(a.typeProperties['storedProcedureParameters'])}`);
          return {};
        },
      },
    };
  };
  const step = (command: string, job: string, layer: string, runDate: string, freshness = 'enforce'): string =>
    `databricks ${STEP_JOB_ID} ${command} job=${job} layer=${layer} run_date=${runDate} freshness=${freshness}`;

  it('the daily master ingests every dataset, builds gold, loads serving and records completion', async () => {
    const f = fakes();
    const r = await executePipeline('pl_daily_master', { files, parameters: { runDate: '2026-01-25' }, bindings: f.bindings, sleep: async () => {} });
    expect(r.status).toBe('Succeeded');
    expect(f.lookups.sort()).toStrictEqual(['control/databricks_jobs.json', 'control/manifest.json']);
    const n = manifest.datasets.length;
    // every DatabricksJob activity started the step job with the id looked up in the job-ids file
    expect(f.calls.filter((c) => c.startsWith('databricks ')).every((c) => c.startsWith(`databricks ${STEP_JOB_ID} `))).toBe(true);
    expect(f.calls.filter((c) => c.includes(' run job=bronze.')).length).toBe(n);
    expect(f.calls.filter((c) => c.includes(' run job=silver.')).length).toBe(n);
    const gold = f.calls.indexOf(step('run', '', 'gold,mart', '2026-01-25'));
    const exp = f.calls.indexOf(step('export', '', '', '2026-01-25'));
    expect([gold >= 0, exp > gold]).toStrictEqual([true, true]);
    // waves: every job of a wave runs after every job of the wave before it
    const at = (job: string): number => f.calls.indexOf(step('run', job, '', '2026-01-25'));
    for (const [i, w] of manifest.waves.entries()) {
      if (i === 0) continue;
      const lastBefore = Math.max(...manifest.waves[i - 1]!.map((d) => at(`silver.${d.dataset}`)));
      for (const d of w) expect(at(`bronze.${d.dataset}`)).toBeGreaterThan(lastBefore);
    }
    expect(manifest.waves.length).toBeGreaterThan(1);
    expect(f.calls.filter((c) => c.startsWith('copy ') && c.includes('/2026-01-25')).length).toBe(n);
    expect(f.calls.filter((c) => c.startsWith('getMetadata source-drop/') && c.includes('/2026-01-25/')).length).toBe(n);
    expect(f.calls.some((c) => c.includes('"NoData"'))).toBe(false);
    const last = f.calls[f.calls.length - 1]!;
    expect(last).toMatch(/^sp \[ops\]\.\[usp_record_pipeline_run\] .*"Status":\{"value":"Succeeded".*"Detail":\{"value":"\d+ datasets, \d+ marts"/);
    expect(statuses({ activityRuns: r.activityRuns.filter((x) => x.pipelineName === 'pl_daily_master') })).toMatchObject({
      'Record failure': 'Skipped',
      'Fail daily batch': 'Skipped',
    });
  });

  it('the hourly master refreshes bronze and silver of the hourly datasets only, wave by wave, with no gold or serving', async () => {
    const f = fakes();
    const r = await executePipeline('pl_hourly_master', {
      files,
      parameters: { runDate: '2026-01-26', freshness: 'report' },
      bindings: f.bindings,
      sleep: async () => {},
    });
    expect(r.status).toBe('Succeeded');
    const hourly = manifest.datasets.filter((d) => d.schedule === 'hourly').map((d) => d.dataset);
    expect(hourly.length).toBeGreaterThan(0);
    expect(hourly.length).toBeLessThan(manifest.datasets.length);
    const ran = f.calls.filter((c) => c.startsWith('databricks '));
    expect(ran.sort()).toStrictEqual(
      hourly.flatMap((d) => [step('run', `bronze.${d}`, '', '2026-01-26', 'report'), step('run', `silver.${d}`, '', '2026-01-26', 'report')]).sort(),
    );
    // a referential parent of the same refresh is ingested in an earlier wave
    const at = (job: string): number => f.calls.indexOf(step('run', job, '', '2026-01-26', 'report'));
    const waveOf = new Map(manifest.waves.flatMap((w, i) => w.map((d) => [d.dataset, i] as const)));
    for (const a of hourly) for (const b of hourly) if (waveOf.get(a)! < waveOf.get(b)!) expect(at(`silver.${a}`)).toBeLessThan(at(`bronze.${b}`));
    expect(f.calls.filter((c) => c.startsWith('sp ')).map((c) => c.split(' ')[1])).toStrictEqual(['[ops].[usp_record_pipeline_run]']);
    const filters = r.activityRuns.filter((x) => x.activityType === 'Filter');
    expect(filters.length).toBe(manifest.waves.length);
  });

  it('a day without a source file is no data, not a failure: no copy, a NoData record, bronze and silver still run (daily and hourly)', async () => {
    const quiet = manifest.datasets.find((d) => d.schedule === 'hourly')!.dataset;
    for (const [pipeline, freshness] of [
      ['pl_daily_master', 'enforce'],
      ['pl_hourly_master', 'report'],
    ] as const) {
      const f = fakes(undefined, [quiet]);
      const r = await executePipeline(pipeline, { files, parameters: { runDate: '2026-01-25', freshness }, bindings: f.bindings, sleep: async () => {} });
      expect([pipeline, r.status]).toStrictEqual([pipeline, 'Succeeded']);
      const ingest = r.activityRuns.filter((x) => x.pipelineName === 'pl_ingest_dataset');
      const own = (name: string) => ingest.filter((x) => x.activityName === name && JSON.stringify(x.input).includes(quiet));
      expect(own('Check source file').map((x) => x.output)).toStrictEqual([{ exists: false }]);
      // the untaken branch's Copy does not run (as in Data Factory's monitor: no activity run at all)
      expect(f.calls.filter((c) => c.startsWith('copy ') && c.includes(quiet))).toStrictEqual([]);
      const noData = f.calls.filter((c) => c.includes('"Status":{"value":"NoData"'));
      expect(noData.length).toBe(1);
      expect(noData[0]).toContain(`"Detail":{"value":"no data: no source file `);
      expect(noData[0]).toContain(` for dataset ${quiet} on 2026-01-25; bronze records the empty batch and the freshness rules decide"`);
      // bronze and silver of the quiet dataset ran: the jobs see the empty batch and the freshness rules decide
      expect(f.calls).toContain(step('run', `bronze.${quiet}`, '', '2026-01-25', freshness));
      expect(f.calls).toContain(step('run', `silver.${quiet}`, '', '2026-01-25', freshness));
      expect(ingest.filter((x) => x.status === 'Failed')).toStrictEqual([]);
    }
  });

  it('a job-ids file without the step job fails the batch before any Databricks job starts', async () => {
    const f = fakes();
    const bindings: ActivityBindings = {
      ...f.bindings,
      lookup: async (a) =>
        a.dataset?.location?.fileName === 'manifest.json' ? { firstRow: manifest as unknown as Json } : { firstRow: { jobs: { 'streampulse-daily': 7 } } },
    };
    const r = await executePipeline('pl_daily_master', { files, parameters: { runDate: '2026-01-25' }, bindings, sleep: async () => {} });
    expect(r.status).toBe('Failed');
    expect(f.calls.filter((c) => c.startsWith('databricks '))).toStrictEqual([]);
    const failed = r.activityRuns.find((x) => x.activityName === 'Ingest wave' && x.status === 'Failed')!;
    expect(failed.error!.errorCode).toBe('InvalidTemplate');
    expect(failed.error!.message).toContain('streampulse-step');
  });

  it('a failing silver job is recorded, fails its ingestion run, skips gold and fails the daily batch', async () => {
    const bad = `silver.${manifest.datasets[0]!.dataset}`;
    const f = fakes(bad);
    const r = await executePipeline('pl_daily_master', { files, parameters: { runDate: '2026-01-25' }, bindings: f.bindings, sleep: async () => {} });
    expect(r.status).toBe('Failed');
    const failedIngest = r.activityRuns
      .filter((x) => x.pipelineName === 'pl_ingest_dataset' && x.status === 'Failed')
      .map((x) => `${x.activityName}:${x.retryAttempt}`);
    expect(failedIngest).toStrictEqual(['Silver:0', 'Silver:1', 'Fail ingestion:null']);
    expect(f.calls.some((c) => c.includes('layer=gold'))).toBe(false);
    expect(f.calls.filter((c) => c.includes('"Status":{"value":"Failed"')).length).toBe(2);
    expect(r.message).toBe('Operation on target Fail daily batch failed: daily batch 2026-01-25 failed; see the activity runs');
  });
});
