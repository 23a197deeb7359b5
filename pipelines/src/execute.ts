/**
 * The local Data Factory executor: runs the generated pipeline JSON as ADF would.
 *
 * - Activity graph per container: an activity runs when every `dependsOn` entry's
 *   upstream status is in its conditions (Succeeded, Failed, Skipped; Completed =
 *   Succeeded or Failed); otherwise it is Skipped. Independent activities run
 *   concurrently.
 * - Status of a pipeline (and of a container's inner activities), ADF's documented
 *   rule: evaluate every leaf activity; a skipped leaf is replaced by its parents;
 *   the result is Succeeded if and only if every evaluated activity succeeded.
 * - Retries: `policy.retry` more attempts, `policy.retryIntervalInSeconds` apart; each
 *   attempt is an activity run (retryAttempt 0, 1, …) like in ADF's monitor.
 * - Control flow: ForEach (sequential, or batches of batchCount), IfCondition,
 *   Switch, Until, Filter, SetVariable, AppendVariable, Lookup, GetMetadata,
 *   ExecutePipeline, Wait, Fail.
 * - Engines are injected: Copy, Databricks and stored-procedure activities call
 *   `bindings`; the executor itself knows no engine. Lookup and GetMetadata read local
 *   files through `resolvePath` unless a binding answers them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { randomUUID } from 'node:crypto';
import { StreamPulseError } from '@streampulse/contracts';
import { evaluateDeep, evaluateTemplate, type EvalContext } from './expression/evaluate.js';
import { stringify, type Json } from './expression/values.js';

export type ActivityStatus = 'Succeeded' | 'Failed' | 'Skipped';

export interface ActivityError {
  readonly errorCode: string;
  readonly message: string;
  readonly failureType: 'UserError' | 'SystemError';
  readonly target: string;
}

/** One activity run, shaped like ADF's activity-run output. */
export interface ActivityRun {
  readonly activityName: string;
  readonly activityType: string;
  readonly activityRunId: string;
  readonly pipelineName: string;
  readonly pipelineRunId: string;
  readonly status: ActivityStatus;
  readonly activityRunStart: string;
  readonly activityRunEnd: string;
  readonly durationInMs: number;
  readonly retryAttempt: number | null;
  readonly input: Json;
  readonly output: Json;
  readonly error: ActivityError | null;
  /** The ForEach item this run belongs to, when inside a ForEach. */
  readonly iterationItem?: Json;
}

export interface PipelineRunResult {
  readonly runId: string;
  readonly pipelineName: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly parameters: Readonly<Record<string, Json>>;
  readonly runStart: string;
  readonly runEnd: string;
  readonly durationInMs: number;
  readonly message: string;
  /** Every activity run of this pipeline run and of the pipelines it executed, in start order. */
  readonly activityRuns: readonly ActivityRun[];
}

/** A dataset reference resolved against its definition: parameters and typeProperties evaluated. */
export interface ResolvedDataset {
  readonly name: string;
  readonly type: string;
  readonly linkedServiceName: string;
  readonly linkedServiceType: string;
  readonly parameters: Readonly<Record<string, Json>>;
  readonly typeProperties: Readonly<Record<string, Json>>;
  /** `typeProperties.location` when there is one (fileSystem/container, folderPath, fileName). */
  readonly location?: {
    readonly type: string;
    readonly fileSystem?: string;
    readonly container?: string;
    readonly folderPath?: string;
    readonly fileName?: string;
  };
}

/** What a binding receives: the activity with every expression evaluated. */
export interface BoundActivity {
  readonly name: string;
  readonly type: string;
  readonly typeProperties: Readonly<Record<string, Json>>;
  readonly linkedServiceName?: string;
  readonly inputs: readonly ResolvedDataset[];
  readonly outputs: readonly ResolvedDataset[];
  /** Lookup's `dataset`. */
  readonly dataset?: ResolvedDataset;
  readonly pipelineName: string;
  readonly pipelineRunId: string;
  readonly pipelineParameters: Readonly<Record<string, Json>>;
}

export type Binding = (activity: BoundActivity) => Promise<Json>;

export interface ActivityBindings {
  /** Copy activities. */
  readonly copy?: Binding;
  /** DatabricksJob, DatabricksNotebook, DatabricksSparkPython and DatabricksSparkJar activities (the binding sees the type). */
  readonly databricks?: Binding;
  /** SqlServerStoredProcedure activities. */
  readonly storedProcedure?: Binding;
  /** Lookup activities; the default reads a JSON dataset's file through `resolvePath`. */
  readonly lookup?: Binding;
  /**
   * GetMetadata activities: the binding returns the dataset's metadata (`exists` and any of
   * GET_METADATA_FIELDS it knows); the executor keeps the fields of the activity's
   * `fieldList` and applies the documented rule for a missing item. The default reads the
   * local file or folder at `resolvePath` (`fileMetadata`).
   */
  readonly getMetadata?: Binding;
  /** Any other activity type, by type name (e.g. `Script`, `WebActivity`). */
  readonly other?: Readonly<Record<string, Binding>>;
}

export interface ExecuteOptions {
  /** The factory in git layout (relative path → JSON). */
  readonly files: Readonly<Record<string, unknown>>;
  readonly parameters?: Readonly<Record<string, Json | string>>;
  readonly bindings?: ActivityBindings;
  /** Maps a dataset's location to a local file path (for the default Lookup). */
  readonly resolvePath?: (dataset: ResolvedDataset) => string;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Waits (retry intervals, Wait activities); tests pass a no-op. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly factoryName?: string;
  readonly trigger?: Readonly<Record<string, Json>>;
  /** Called when an activity run ends (for progress). */
  readonly onActivityRun?: (run: ActivityRun) => void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

class ActivityFailure extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly failureType: 'UserError' | 'SystemError' = 'UserError',
  ) {
    super(message);
  }
}

interface RunState {
  readonly opts: ExecuteOptions;
  readonly runs: ActivityRun[];
  readonly pipelineName: string;
  readonly runId: string;
  readonly parameters: Record<string, Json>;
  readonly variables: Map<string, Json>;
  readonly pipelineCtx: Record<string, Json>;
}

/** Activity results visible to `activity('x')` in a scope (an iteration sees its own and the outer ones). */
class Scope {
  private readonly results = new Map<string, Json>();
  constructor(
    readonly parent: Scope | undefined,
    readonly item: Json | undefined,
  ) {}
  set(name: string, value: Json): void {
    this.results.set(name, value);
  }
  get(name: string): Json | undefined {
    return this.results.get(name) ?? this.parent?.get(name);
  }
  itemValue(): Json | undefined {
    return this.item !== undefined ? this.item : this.parent?.itemValue();
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pipelineDoc(files: ExecuteOptions['files'], name: string): Obj {
  const doc = files[`pipeline/${name}.json`];
  if (!isObj(doc))
    throw new StreamPulseError('ADF_UNKNOWN_PIPELINE', `pipeline '${name}' is not in the factory`, {
      remedy: `run one of: ${Object.keys(files)
        .filter((f) => f.startsWith('pipeline/'))
        .map((f) => f.slice('pipeline/'.length, -'.json'.length))
        .join(', ')}`,
    });
  return doc;
}

/** Coerces given parameter values (strings from the command line) to the declared types; applies defaults. */
export function bindParameters(name: string, declared: Obj, given: Readonly<Record<string, Json | string>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of Object.keys(given))
    if (!(k in declared))
      throw new StreamPulseError('ADF_UNKNOWN_PARAMETER', `pipeline '${name}' has no parameter '${k}'`, {
        remedy: `pass only: ${Object.keys(declared).join(', ') || '(none)'}`,
      });
  for (const [k, specV] of Object.entries(declared)) {
    const spec = asObj(specV);
    const type = String(spec['type'] ?? 'String');
    let v = given[k];
    if (v === undefined) {
      if (spec['defaultValue'] === undefined)
        throw new StreamPulseError('ADF_MISSING_PARAMETER', `pipeline '${name}' needs parameter '${k}' (${type})`, { remedy: `pass --param ${k}=<value>` });
      v = spec['defaultValue'] as Json;
    }
    if (typeof v === 'string' && type !== 'String' && type !== 'SecureString') {
      const text = v;
      try {
        if (type === 'Int') v = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
        else if (type === 'Float') v = Number(text);
        else if (type === 'Bool') v = text.toLowerCase() === 'true' ? true : text.toLowerCase() === 'false' ? false : Number.NaN;
        else v = JSON.parse(text) as Json;
      } catch {
        v = Number.NaN;
      }
      if (typeof v === 'number' && Number.isNaN(v))
        throw new StreamPulseError('ADF_BAD_PARAMETER', `parameter '${k}' of pipeline '${name}' is ${type}; '${text}' is not`, {
          remedy: `pass a ${type} value`,
        });
    }
    out[k] = v;
  }
  return out;
}

/** Runs a pipeline of the factory and returns its run record (never throws for activity failures). */
export async function executePipeline(name: string, opts: ExecuteOptions): Promise<PipelineRunResult> {
  return runPipeline(name, opts, opts.parameters ?? {}, []);
}

async function runPipeline(
  name: string,
  opts: ExecuteOptions,
  given: Readonly<Record<string, Json | string>>,
  sink: ActivityRun[],
  runIdIn?: string,
): Promise<PipelineRunResult> {
  const doc = pipelineDoc(opts.files, name);
  const props = asObj(doc['properties']);
  const parameters = bindParameters(name, asObj(props['parameters']), given);
  const now = opts.now ?? (() => new Date());
  const runId = runIdIn ?? (opts.newId ?? randomUUID)();
  const start = now();
  const variables = new Map<string, Json>();
  for (const [k, v] of Object.entries(asObj(props['variables']))) {
    const spec = asObj(v);
    variables.set(
      k,
      (spec['defaultValue'] as Json | undefined) ?? (spec['type'] === 'Array' ? [] : spec['type'] === 'Bool' || spec['type'] === 'Boolean' ? false : ''),
    );
  }
  const state: RunState = {
    opts,
    runs: sink,
    pipelineName: name,
    runId,
    parameters,
    variables,
    pipelineCtx: {
      parameters,
      RunId: runId,
      Pipeline: name,
      DataFactory: opts.factoryName ?? 'local',
      TriggerTime: start.toISOString(),
      TriggerType: opts.trigger ? 'ScheduleTrigger' : 'Manual',
      TriggerName: opts.trigger ? 'trigger' : 'Manual',
      TriggerId: runId,
      GroupId: runId,
      TriggeredByPipelineName: null,
      TriggeredByPipelineRunId: null,
    },
  };
  const result = await runContainer(asList(props['activities']), state, new Scope(undefined, undefined));
  const end = now();
  const failed = result.failedActivity;
  return {
    runId,
    pipelineName: name,
    status: failed === undefined ? 'Succeeded' : 'Failed',
    parameters,
    runStart: start.toISOString(),
    runEnd: end.toISOString(),
    durationInMs: end.getTime() - start.getTime(),
    message: failed === undefined ? '' : `Operation on target ${failed.name} failed: ${failed.error?.message ?? 'failed'}`,
    activityRuns: sink,
  };
}

interface ContainerResult {
  readonly statuses: ReadonlyMap<string, ActivityStatus>;
  /** The first activity that makes the container fail (by ADF's leaf rule), if any. */
  readonly failedActivity?: { readonly name: string; readonly error: ActivityError | null };
}

/** Runs one list of sibling activities as a dependency graph. */
async function runContainer(activities: readonly Obj[], state: RunState, scope: Scope): Promise<ContainerResult> {
  const statuses = new Map<string, ActivityStatus>();
  const errors = new Map<string, ActivityError | null>();
  const byName = new Map(activities.map((a) => [String(a['name']), a]));
  const deps = (a: Obj): { activity: string; conditions: string[] }[] =>
    asList(a['dependsOn']).map((d) => ({
      activity: String(d['activity']),
      conditions: Array.isArray(d['dependencyConditions']) ? d['dependencyConditions'].map(String) : ['Succeeded'],
    }));
  const pending = new Set(byName.keys());
  while (pending.size > 0) {
    const ready = [...pending].filter((n) => deps(byName.get(n) as Obj).every((d) => statuses.has(d.activity) || !byName.has(d.activity)));
    if (ready.length === 0)
      throw new StreamPulseError('ADF_DEPENDENCY_CYCLE', `activities ${[...pending].join(', ')} wait on each other (a dependsOn cycle)`, {
        remedy: 'run `streampulse adf validate` and break the cycle',
      });
    await Promise.all(
      ready.map(async (n) => {
        pending.delete(n);
        const a = byName.get(n) as Obj;
        const go = deps(a).every((d) => {
          const s = statuses.get(d.activity);
          if (s === undefined) return false;
          return d.conditions.some((c) => c === s || (c === 'Completed' && (s === 'Succeeded' || s === 'Failed')));
        });
        if (!go) {
          statuses.set(n, 'Skipped');
          errors.set(n, null);
          scope.set(n, { status: 'Skipped', output: null });
          record(state, a, 'Skipped', new Date(), null, null, null, null, scope);
          return;
        }
        const r = await runActivity(a, state, scope);
        statuses.set(n, r.status);
        errors.set(n, r.error);
      }),
    );
  }
  // ADF: evaluate leaves; a skipped leaf is replaced by its parents; success iff all evaluated succeeded
  const hasDependents = new Set(activities.flatMap((a) => deps(a).map((d) => d.activity)));
  const leaves = activities.map((a) => String(a['name'])).filter((n) => !hasDependents.has(n));
  const seen = new Set<string>();
  const evaluate = (n: string): string | undefined => {
    if (seen.has(n)) return undefined;
    seen.add(n);
    const s = statuses.get(n);
    if (s === 'Failed') return n;
    if (s === 'Skipped') {
      for (const d of deps(byName.get(n) as Obj)) {
        const f = evaluate(d.activity);
        if (f !== undefined) return f;
      }
    }
    return undefined;
  };
  // a leaf that failed itself is the reported cause before one reached through skipped leaves
  leaves.sort((x, y) => Number(statuses.get(y) === 'Failed') - Number(statuses.get(x) === 'Failed'));
  for (const leaf of leaves) {
    const f = evaluate(leaf);
    if (f !== undefined) return { statuses, failedActivity: { name: f, error: errors.get(f) ?? null } };
  }
  return { statuses };
}

function evalCtx(state: RunState, scope: Scope): EvalContext {
  const item = scope.itemValue();
  return {
    pipeline: state.pipelineCtx,
    activity: (n) => scope.get(n),
    ...(item !== undefined ? { item } : {}),
    variables: (n) => state.variables.get(n),
    ...(state.opts.trigger ? { trigger: state.opts.trigger } : {}),
    ...(state.opts.now ? { now: state.opts.now } : {}),
  };
}

function record(
  state: RunState,
  a: Obj,
  status: ActivityStatus,
  start: Date,
  input: Json,
  output: Json,
  error: ActivityError | null,
  retryAttempt: number | null,
  scope: Scope,
): ActivityRun {
  const end = state.opts.now ? state.opts.now() : new Date();
  const item = scope.itemValue();
  const run: ActivityRun = {
    activityName: String(a['name']),
    activityType: String(a['type']),
    activityRunId: (state.opts.newId ?? randomUUID)(),
    pipelineName: state.pipelineName,
    pipelineRunId: state.runId,
    status,
    activityRunStart: start.toISOString(),
    activityRunEnd: end.toISOString(),
    durationInMs: Math.max(0, end.getTime() - start.getTime()),
    retryAttempt,
    input,
    output,
    error,
    ...(item !== undefined ? { iterationItem: item } : {}),
  };
  state.runs.push(run);
  state.opts.onActivityRun?.(run);
  return run;
}

async function runActivity(a: Obj, state: RunState, scope: Scope): Promise<{ status: ActivityStatus; error: ActivityError | null }> {
  const name = String(a['name']);
  const policy = asObj(a['policy']);
  const retries = typeof policy['retry'] === 'number' ? policy['retry'] : 0;
  const interval = typeof policy['retryIntervalInSeconds'] === 'number' ? policy['retryIntervalInSeconds'] : 30;
  const sleep = state.opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    const start = state.opts.now ? state.opts.now() : new Date();
    let input: Json = null;
    try {
      const r = await perform(a, state, scope, (i) => {
        input = i;
      });
      scope.set(name, { status: 'Succeeded', output: r });
      record(state, a, 'Succeeded', start, input, r, null, retries > 0 ? attempt : null, scope);
      return { status: 'Succeeded', error: null };
    } catch (e) {
      const f =
        e instanceof ActivityFailure
          ? e
          : e instanceof StreamPulseError && e.code.startsWith('ADF_EXPRESSION')
            ? new ActivityFailure('InvalidTemplate', e.message)
            : new ActivityFailure(
                e instanceof StreamPulseError ? e.code : 'ActivityFailed',
                e instanceof Error ? e.message : String(e),
                e instanceof StreamPulseError ? 'UserError' : 'SystemError',
              );
      const error: ActivityError = { errorCode: f.errorCode, message: f.message, failureType: f.failureType, target: name };
      record(state, a, 'Failed', start, input, null, error, retries > 0 ? attempt : null, scope);
      if (attempt < retries && !CONTROL_TYPES.has(String(a['type']))) {
        await sleep(interval * 1000);
        continue;
      }
      scope.set(name, { status: 'Failed', output: null, error: error as unknown as Json });
      return { status: 'Failed', error };
    }
  }
}

const CONTROL_TYPES = new Set(['ForEach', 'IfCondition', 'Switch', 'Until', 'SetVariable', 'AppendVariable', 'ExecutePipeline', 'Wait', 'Fail', 'Filter']);

function resolveDataset(ref: unknown, state: RunState, scope: Scope): ResolvedDataset {
  const r = asObj(ref);
  const name = String(r['referenceName'] ?? '');
  const doc = state.opts.files[`dataset/${name}.json`];
  if (!isObj(doc)) throw new ActivityFailure('DatasetNotFound', `dataset '${name}' is not in the factory`);
  const p = asObj(doc['properties']);
  const given = asObj(evaluateDeep(r['parameters'] ?? {}, evalCtx(state, scope)));
  const params: Record<string, Json> = {};
  for (const [k, spec] of Object.entries(asObj(p['parameters']))) {
    const v = given[k] ?? (asObj(spec)['defaultValue'] as Json | undefined);
    if (v === undefined) throw new ActivityFailure('MissingParameter', `dataset '${name}' needs parameter '${k}'`);
    params[k] = v as Json;
  }
  const tp = asObj(evaluateDeep(p['typeProperties'] ?? {}, { dataset: params }));
  const lsName = String(asObj(p['linkedServiceName'])['referenceName'] ?? '');
  const ls = asObj(asObj(state.opts.files[`linkedService/${lsName}.json`])['properties']);
  const loc = isObj(tp['location']) ? (tp['location'] as Record<string, Json>) : undefined;
  return {
    name,
    type: String(p['type'] ?? ''),
    linkedServiceName: lsName,
    linkedServiceType: String(ls['type'] ?? ''),
    parameters: params,
    typeProperties: tp as Record<string, Json>,
    ...(loc
      ? {
          location: {
            type: String(loc['type'] ?? ''),
            ...(loc['fileSystem'] != null ? { fileSystem: stringify(loc['fileSystem']) } : {}),
            ...(loc['container'] != null ? { container: stringify(loc['container']) } : {}),
            ...(loc['folderPath'] != null ? { folderPath: stringify(loc['folderPath']) } : {}),
            ...(loc['fileName'] != null ? { fileName: stringify(loc['fileName']) } : {}),
          },
        }
      : {}),
  };
}

function bind(a: Obj, state: RunState, scope: Scope, tpRaw: Obj): BoundActivity {
  const ctx = evalCtx(state, scope);
  const typeProperties = asObj(evaluateDeep(tpRaw, ctx)) as Record<string, Json>;
  const ls = asObj(a['linkedServiceName'])['referenceName'];
  return {
    name: String(a['name']),
    type: String(a['type']),
    typeProperties,
    ...(typeof ls === 'string' ? { linkedServiceName: ls } : {}),
    inputs: asList(a['inputs']).map((r) => resolveDataset(r, state, scope)),
    outputs: asList(a['outputs']).map((r) => resolveDataset(r, state, scope)),
    ...(tpRaw['dataset'] !== undefined ? { dataset: resolveDataset(tpRaw['dataset'], state, scope) } : {}),
    pipelineName: state.pipelineName,
    pipelineRunId: state.runId,
    pipelineParameters: state.parameters,
  };
}

async function perform(a: Obj, state: RunState, scope: Scope, setInput: (i: Json) => void): Promise<Json> {
  const type = String(a['type']);
  const tp = asObj(a['typeProperties']);
  const ctx = evalCtx(state, scope);
  const ev = (v: unknown): Json => evaluateDeep(v, ctx);
  const bindings = state.opts.bindings ?? {};
  const callBinding = async (b: Binding | undefined, what: string): Promise<Json> => {
    if (!b) throw new ActivityFailure('NoLocalBinding', `no local binding for ${what} activities (activity '${String(a['name'])}')`, 'SystemError');
    const bound = bind(a, state, scope, tp);
    setInput(bound.typeProperties as Json);
    return b(bound);
  };
  switch (type) {
    case 'Wait': {
      const secs = Number(ev(tp['waitTimeInSeconds']));
      setInput({ waitTimeInSeconds: secs });
      await (state.opts.sleep ?? defaultSleep)(secs * 1000);
      return {};
    }
    case 'Fail': {
      const message = stringify(ev(tp['message']));
      const code = stringify(ev(tp['errorCode']));
      setInput({ message, errorCode: code });
      throw new ActivityFailure(code, message);
    }
    case 'SetVariable': {
      const v = String(tp['variableName']);
      const value = ev(tp['value']);
      setInput({ variableName: v, value });
      if (v !== 'pipelineReturnValue') {
        if (!state.variables.has(v)) throw new ActivityFailure('VariableNotFound', `variable '${v}' is not declared in pipeline '${state.pipelineName}'`);
        state.variables.set(v, value);
      }
      return { name: v, value };
    }
    case 'AppendVariable': {
      const v = String(tp['variableName']);
      const value = ev(tp['value']);
      setInput({ variableName: v, value });
      const cur = state.variables.get(v);
      if (!Array.isArray(cur))
        throw new ActivityFailure('VariableNotArray', `AppendVariable needs an Array variable; '${v}' is ${cur === undefined ? 'not declared' : typeof cur}`);
      state.variables.set(v, [...cur, value]);
      return {};
    }
    case 'IfCondition': {
      const cond = ev(tp['expression']);
      setInput({ expression: cond });
      if (typeof cond !== 'boolean') throw new ActivityFailure('InvalidTemplate', `the If Condition expression must be a Boolean, got ${JSON.stringify(cond)}`);
      const r = await runContainer(asList(cond ? tp['ifTrueActivities'] : tp['ifFalseActivities']), state, scope);
      if (r.failedActivity)
        throw new ActivityFailure(
          'ActivityFailed',
          `Activity failed because an inner activity failed; inner activity name: ${r.failedActivity.name}, error: ${r.failedActivity.error?.message ?? ''}`,
        );
      return { ifCondition: cond };
    }
    case 'Switch': {
      const on = stringify(ev(tp['on']));
      setInput({ on });
      const hit = asList(tp['cases']).find((c) => stringify(c['value'] as Json) === on);
      const r = await runContainer(asList(hit ? hit['activities'] : tp['defaultActivities']), state, scope);
      if (r.failedActivity)
        throw new ActivityFailure(
          'ActivityFailed',
          `Activity failed because an inner activity failed; inner activity name: ${r.failedActivity.name}, error: ${r.failedActivity.error?.message ?? ''}`,
        );
      return { case: hit ? on : 'default' };
    }
    case 'Filter': {
      // documented output: `@activity('<filter>').output.value` (ADF's run output names it Value; property names are case-insensitive)
      const items = ev(tp['items']);
      if (!Array.isArray(items)) throw new ActivityFailure('InvalidTemplate', `Filter items must be an Array, got ${JSON.stringify(items)}`);
      setInput({ items: items.length });
      const kept: Json[] = [];
      for (const item of items) {
        const keep = evaluateDeep(tp['condition'], evalCtx(state, new Scope(scope, item)));
        if (typeof keep !== 'boolean')
          throw new ActivityFailure('InvalidTemplate', `the Filter condition must be a Boolean, got ${JSON.stringify(keep)} for item ${JSON.stringify(item)}`);
        if (keep) kept.push(item);
      }
      return { ItemsCount: items.length, FilteredItemsCount: kept.length, Value: kept };
    }
    case 'Until': {
      const max = 1000;
      for (let i = 1; i <= max; i++) {
        const r = await runContainer(asList(tp['activities']), state, scope);
        if (r.failedActivity)
          throw new ActivityFailure(
            'ActivityFailed',
            `Activity failed because an inner activity failed; inner activity name: ${r.failedActivity.name}, error: ${r.failedActivity.error?.message ?? ''}`,
          );
        const done = evaluateDeep(tp['expression'], evalCtx(state, scope));
        if (done === true) return { iterations: i };
      }
      throw new ActivityFailure('UntilTimeout', `Until '${String(a['name'])}' did not reach its condition in ${max} iterations`);
    }
    case 'ForEach': {
      const items = ev(tp['items']);
      if (!Array.isArray(items)) throw new ActivityFailure('InvalidTemplate', `ForEach items must be an Array, got ${JSON.stringify(items)}`);
      setInput({ items: items.length, isSequential: tp['isSequential'] === true, batchCount: (tp['batchCount'] as number | undefined) ?? 20 });
      const inner = asList(tp['activities']);
      const failures: string[] = [];
      const runOne = async (item: Json): Promise<void> => {
        const r = await runContainer(inner, state, new Scope(scope, item));
        if (r.failedActivity) failures.push(`${r.failedActivity.name} (item ${JSON.stringify(item)}): ${r.failedActivity.error?.message ?? ''}`);
      };
      if (tp['isSequential'] === true) for (const item of items) await runOne(item);
      else {
        const width = Math.max(1, Math.min(50, typeof tp['batchCount'] === 'number' ? tp['batchCount'] : 20));
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(width, items.length) }, async () => {
            while (next < items.length) await runOne(items[next++] as Json);
          }),
        );
      }
      if (failures.length > 0) throw new ActivityFailure('ActivityFailed', `${failures.length} of ${items.length} iteration(s) failed: ${failures.join('; ')}`);
      return { iterations: items.length };
    }
    case 'ExecutePipeline': {
      const target = String(asObj(tp['pipeline'])['referenceName']);
      const params = asObj(ev(tp['parameters'] ?? {})) as Record<string, Json>;
      setInput({ pipeline: target, parameters: params });
      const childId = (state.opts.newId ?? randomUUID)();
      const child = await runPipeline(target, state.opts, params, state.runs, childId);
      if (tp['waitOnCompletion'] !== false && child.status === 'Failed')
        throw new ActivityFailure('ExecutePipelineFailed', `pipeline '${target}' (run ${childId}) failed: ${child.message}`);
      return { pipelineName: target, pipelineRunId: childId };
    }
    case 'Lookup': {
      if (bindings.lookup) return callBinding(bindings.lookup, 'Lookup');
      const bound = bind(a, state, scope, tp);
      setInput(bound.typeProperties as Json);
      if (!bound.dataset) throw new ActivityFailure('InvalidActivity', 'Lookup has no dataset');
      if (!state.opts.resolvePath) throw new ActivityFailure('NoLocalBinding', 'no local storage to read the Lookup dataset from', 'SystemError');
      const path = state.opts.resolvePath(bound.dataset);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        throw new ActivityFailure('LookupFailed', `cannot read ${path}: ${(e as Error).message}`);
      }
      const rows = (Array.isArray(data) ? data : [data]) as Json[];
      return tp['firstRowOnly'] === false ? { count: rows.length, value: rows } : { firstRow: rows[0] ?? null };
    }
    case 'GetMetadata': {
      const bound = bind(a, state, scope, tp);
      setInput(bound.typeProperties as Json);
      if (!bound.dataset) throw new ActivityFailure('InvalidActivity', `Get Metadata '${String(a['name'])}' has no dataset`);
      const fields = bound.typeProperties['fieldList'];
      if (!Array.isArray(fields) || fields.length === 0 || !fields.every((x): x is string => typeof x === 'string'))
        throw new ActivityFailure('InvalidActivity', `Get Metadata '${String(a['name'])}' needs a fieldList of metadata names (e.g. ["exists"])`);
      const unknown = fields.filter((x) => !(GET_METADATA_FIELDS as readonly string[]).includes(x));
      if (unknown.length > 0)
        throw new ActivityFailure(
          'InvalidActivity',
          `Get Metadata '${String(a['name'])}' asks for ${unknown.join(', ')}; the metadata fields are ${GET_METADATA_FIELDS.join(', ')}`,
        );
      let meta: Json;
      if (bindings.getMetadata) meta = await bindings.getMetadata(bound);
      else {
        const resolve = state.opts.resolvePath;
        if (!resolve) throw new ActivityFailure('NoLocalBinding', 'no local storage to read the Get Metadata dataset from', 'SystemError');
        meta = fileMetadata(resolve(bound.dataset));
      }
      return metadataOutput(meta, fields, bound.dataset);
    }
    case 'Copy':
      return callBinding(bindings.copy, 'Copy');
    case 'DatabricksJob':
    case 'DatabricksNotebook':
    case 'DatabricksSparkPython':
    case 'DatabricksSparkJar':
      return callBinding(bindings.databricks, type);
    case 'SqlServerStoredProcedure':
      return callBinding(bindings.storedProcedure, 'stored-procedure');
    default: {
      const b = bindings.other?.[type];
      if (b) return callBinding(b, type);
      throw new ActivityFailure(
        'UnsupportedActivity',
        `the local executor cannot run activities of type '${type}' (activity '${String(a['name'])}')`,
        'SystemError',
      );
    }
  }
}

/** The metadata a Get Metadata activity's `fieldList` may ask for (Data Factory's documented metadata options). */
export const GET_METADATA_FIELDS = [
  'itemName',
  'itemType',
  'size',
  'created',
  'lastModified',
  'childItems',
  'contentMD5',
  'structure',
  'columnCount',
  'exists',
] as const;

/** The metadata of a local file or folder (`exists` false when there is none): what the default Get Metadata reads. */
export function fileMetadata(path: string): Json {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return { exists: false };
  }
  const common = { exists: true, itemName: basename(path), lastModified: st.mtime.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  if (st.isDirectory())
    return {
      ...common,
      itemType: 'Folder',
      childItems: readdirSync(path, { withFileTypes: true })
        .map((e) => ({ name: e.name, type: e.isDirectory() ? 'Folder' : 'File' }))
        .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    };
  return { ...common, itemType: 'File', size: st.size };
}

/**
 * A Get Metadata activity's output, as documented: the fields of `fieldList` the metadata
 * has. With `exists` in the list a missing item is `{ exists: false }`; without it, a
 * missing item fails the activity.
 */
function metadataOutput(meta: Json, fields: readonly string[], dataset: ResolvedDataset): Json {
  const m = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? meta : {};
  if (typeof m['exists'] !== 'boolean')
    throw new ActivityFailure('InvalidBindingOutput', `the Get Metadata binding gave no boolean 'exists' for dataset '${dataset.name}'`, 'SystemError');
  const where = [dataset.location?.fileSystem ?? dataset.location?.container, dataset.location?.folderPath, dataset.location?.fileName]
    .filter(Boolean)
    .join('/');
  if (m['exists'] === false) {
    if (fields.includes('exists')) return { exists: false };
    throw new ActivityFailure(
      'PathNotFound',
      `the item of dataset '${dataset.name}' (${where}) does not exist; ask for 'exists' in the fieldList to get exists: false instead of a failure`,
    );
  }
  const out: Record<string, Json> = {};
  for (const f of fields) {
    const v = m[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** One line per activity run: name, status, duration, output (for the CLI). */
export function formatActivityRun(r: ActivityRun): string {
  const out = r.error ? `${r.error.errorCode}: ${r.error.message}` : r.output === null ? '' : JSON.stringify(r.output);
  const retry = r.retryAttempt !== null && r.retryAttempt > 0 ? ` (retry ${r.retryAttempt})` : '';
  return `${r.pipelineName} / ${r.activityName}${retry}  ${r.status}  ${r.durationInMs} ms  ${out.length > 160 ? `${out.slice(0, 157)}...` : out}`;
}

/** Evaluates a template in a pipeline-less context (used by callers that resolve trigger parameters). */
export function evaluateValue(text: string, ctx: EvalContext): Json {
  return evaluateTemplate(text, ctx);
}
