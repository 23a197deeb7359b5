/**
 * The local executor: dependency conditions and ADF's pipeline-status rule (leaves;
 * a skipped leaf stands for its parents), failure paths, retries, ForEach
 * (sequential and batched), control flow, and the generated pipelines end to end
 * with fake bindings.
 */
import { describe, expect, it } from '@jest/globals';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { join } from 'node:path';
import { executePipeline, readFactoryDir, type ActivityBindings, type ExecuteOptions, type Json } from '@streampulse/pipelines';

type Doc = Record<string, unknown>;
const ok = (name: string, dependsOn: Doc[] = [], extra: Doc = {}): Doc => ({ name, type: 'Wait', dependsOn, typeProperties: { waitTimeInSeconds: 0 }, ...extra });
const fail = (name: string, dependsOn: Doc[] = []): Doc => ({ name, type: 'Fail', dependsOn, typeProperties: { message: `${name} broke`, errorCode: 'E1' } });
const on = (activity: string, ...dependencyConditions: string[]): Doc => ({ activity, dependencyConditions });
const factory = (activities: Doc[], more: Doc = {}, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ 'pipeline/p.json': { name: 'p', properties: { activities, ...more } }, ...extra });
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
    const r = await run([fail('A'), ok('UponSuccess', [on('A', 'Succeeded')]), ok('UponFailure', [on('A', 'Failed')]), ok('DummyUponSkip', [on('UponSuccess', 'Skipped')])]);
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
            cases: [{ value: 'yes', activities: [{ name: 'Case yes', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'picked', value: "@concat('switched:', join(variables('log'), ','))" } }] }],
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

  it('an expression error fails the activity with InvalidTemplate', async () => {
    const r = await run([{ name: 'Bad', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'v', value: "@int('x')" } }], { variables: { v: { type: 'String' } } });
    expect(r.activityRuns[0]!.error).toStrictEqual({ errorCode: 'InvalidTemplate', message: "at column 2: int(): 'x' is not an integer", failureType: 'UserError', target: 'Bad' });
  });

  it('ExecutePipeline passes parameters and fails when the child fails', async () => {
    const files = {
      ...factory([{ name: 'Child', type: 'ExecutePipeline', dependsOn: [], typeProperties: { pipeline: { referenceName: 'c', type: 'PipelineReference' }, waitOnCompletion: true, parameters: { x: "@concat(pipeline().parameters.prefix, '-1')" } } }], {
        parameters: { prefix: { type: 'String', defaultValue: 'run' } },
      }),
      'pipeline/c.json': { name: 'c', properties: { parameters: { x: { type: 'String' } }, activities: [fail('Boom')] } },
    };
    (files['pipeline/c.json'] as { properties: { activities: Doc[] } }).properties.activities[0]!['typeProperties'] = { message: "@concat('child got ', pipeline().parameters.x)", errorCode: 'E2' };
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
    const act = [{ name: 'S', type: 'SetVariable', dependsOn: [], typeProperties: { variableName: 'v', value: "@string(add(pipeline().parameters.n, 1))" } }];
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
  const manifest = files['control/manifest.json'] as { datasets: { dataset: string }[]; waves: { dataset: string }[][]; marts: unknown[] };
  const fakes = (failJob?: string): { bindings: ActivityBindings; calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      bindings: {
        lookup: async () => ({ firstRow: manifest as unknown as Json }),
        copy: async (a) => {
          calls.push(`copy ${a.outputs[0]!.location?.folderPath ?? a.outputs[0]!.parameters['table']}`);
          return { filesWritten: 1 };
        },
        databricks: async (a) => {
          const p = a.typeProperties['parameters'] as string[];
          const flag = (f: string): string | undefined => (p.includes(f) ? p[p.indexOf(f) + 1] : undefined);
          const job = flag('--job');
          const layer = flag('--layer');
          calls.push(`databricks ${p[0]}${job ? ` --job ${job}` : ''}${layer ? ` --layer ${layer}` : ''} --run-date ${flag('--run-date')}`);
          if (job !== undefined && job === failJob) throw new Error(`job ${failJob} failed`);
          return { runOutput: null };
        },
        storedProcedure: async (a) => {
          calls.push(`sp ${String(a.typeProperties['storedProcedureName'])} ${JSON.stringify(a.typeProperties['storedProcedureParameters'])}`);
          return {};
        },
      },
    };
  };

  it('the daily master ingests every dataset, builds gold, loads serving and records completion', async () => {
    const f = fakes();
    const r = await executePipeline('pl_daily_master', { files, parameters: { runDate: '2026-01-25' }, bindings: f.bindings, sleep: async () => {} });
    expect(r.status).toBe('Succeeded');
    const n = manifest.datasets.length;
    expect(f.calls.filter((c) => c.startsWith('databricks run --job bronze.')).length).toBe(n);
    expect(f.calls.filter((c) => c.startsWith('databricks run --job silver.')).length).toBe(n);
    const gold = f.calls.indexOf('databricks run --layer gold,mart --run-date 2026-01-25');
    const exp = f.calls.indexOf('databricks export --run-date 2026-01-25');
    expect([gold >= 0, exp > gold]).toStrictEqual([true, true]);
    // waves: every job of a wave runs after every job of the wave before it
    const at = (job: string): number => f.calls.indexOf(`databricks run --job ${job} --run-date 2026-01-25`);
    for (const [i, w] of manifest.waves.entries()) {
      if (i === 0) continue;
      const lastBefore = Math.max(...manifest.waves[i - 1]!.map((d) => at(`silver.${d.dataset}`)));
      for (const d of w) expect(at(`bronze.${d.dataset}`)).toBeGreaterThan(lastBefore);
    }
    expect(manifest.waves.length).toBeGreaterThan(1);
    expect(f.calls.filter((c) => c.startsWith('copy ') && c.includes('/2026-01-25')).length).toBe(n);
    const last = f.calls[f.calls.length - 1]!;
    expect(last).toMatch(/^sp \[ops\]\.\[usp_record_pipeline_run\] .*"Status":\{"value":"Succeeded".*"Detail":\{"value":"\d+ datasets, \d+ marts"/);
    expect(statuses({ activityRuns: r.activityRuns.filter((x) => x.pipelineName === 'pl_daily_master') })).toMatchObject({ 'Record failure': 'Skipped', 'Fail daily batch': 'Skipped' });
  });

  it('a failing silver job is recorded, fails its ingestion run, skips gold and fails the daily batch', async () => {
    const bad = `silver.${manifest.datasets[0]!.dataset}`;
    const f = fakes(bad);
    const r = await executePipeline('pl_daily_master', { files, parameters: { runDate: '2026-01-25' }, bindings: f.bindings, sleep: async () => {} });
    expect(r.status).toBe('Failed');
    const failedIngest = r.activityRuns.filter((x) => x.pipelineName === 'pl_ingest_dataset' && x.status === 'Failed').map((x) => `${x.activityName}:${x.retryAttempt}`);
    expect(failedIngest).toStrictEqual(['Silver:0', 'Silver:1', 'Fail ingestion:null']);
    expect(f.calls.some((c) => c.startsWith('databricks run --layer gold'))).toBe(false);
    expect(f.calls.filter((c) => c.includes('"Status":{"value":"Failed"')).length).toBe(2);
    expect(r.message).toBe('Operation on target Fail daily batch failed: daily batch 2026-01-25 failed; see the activity runs');
  });
});
