/**
 * The factory validator: every pipeline, dataset and linked service goes through the
 * Data Factory SDK's own serializer (its model mappers: names, required fields,
 * types), then through checks the SDK does not make — references, dependency
 * graphs, nesting and count limits, activity types, expressions, parameter types, and
 * the form of every dynamic value (the one Data Factory Studio writes: studio-form.ts).
 */
import { DataFactoryManagementClient } from '@azure/arm-datafactory';
import { createSerializer, type CompositeMapper, type Mapper, type Serializer } from '@azure/core-client';
import { ExpressionSyntaxError, parseTemplate, templateExpressions, walkCalls, type Expr } from './expression/parse.js';
import { functionArity, suggestFunction } from './expression/functions.js';
import { GET_METADATA_FIELDS } from './execute.js';
import { type DynamicForm, holdsExpression, isExpressionObject } from './studio-form.js';
import { limitProblems, type LimitRule } from './limits.js';

export interface FactoryProblem {
  /** The factory file, e.g. `pipeline/pl_daily_master.json`. */
  readonly file: string;
  /** Where inside it: an activity or a JSON path. */
  readonly where: string;
  readonly rule: ValidationRule;
  readonly message: string;
}

export type ValidationRule =
  | 'sdk-schema'
  | 'bad-json'
  | 'name-mismatch'
  | 'dangling-depends-on'
  | 'cyclic-depends-on'
  | 'bad-dependency-condition'
  | 'duplicate-activity'
  | 'missing-dataset'
  | 'missing-linked-service'
  | 'missing-pipeline'
  | 'missing-parameter'
  | 'missing-variable'
  | 'missing-activity'
  | 'nesting'
  | 'activity-limit'
  | 'unknown-activity-type'
  | 'activity-contract'
  | 'one-active-schedule'
  | 'expression-syntax'
  | 'unknown-function'
  | 'function-arity'
  | 'parameter-type'
  | 'batch-count'
  | 'dynamic-value-form'
  | LimitRule;

/**
 * Data Factory's documented limit: activities per pipeline, inner activities of containers
 * included. The limits page has raised it over time (40, then 80 with 120 on request); its
 * current revision lists 120 as both the default and the maximum. An option of the validator.
 */
export const MAX_ACTIVITIES_PER_PIPELINE = 120;
/** ForEach parallelism (batchCount) range. */
export const MAX_BATCH_COUNT = 50;
export const PARAMETER_TYPES = ['String', 'Int', 'Float', 'Bool', 'Array', 'Object', 'SecureString'] as const;
export const VARIABLE_TYPES = ['String', 'Bool', 'Boolean', 'Array', 'Integer'] as const;
export const DEPENDENCY_CONDITIONS = ['Succeeded', 'Failed', 'Skipped', 'Completed'] as const;

/** How a documented property's value is checked. */
type PropertyKind = 'string-or-expression' | 'parameter-map';

export interface ActivityContract {
  /** Where the contract is documented. */
  readonly source: string;
  /** Type of the linked service the activity must reference (execution activities: linkedServiceName is required). */
  readonly linkedServiceType: string;
  /** Every documented `typeProperties` key: required or not, and its value kind. */
  readonly typeProperties: Readonly<Record<string, { readonly required: boolean; readonly kind: PropertyKind; readonly description: string }>>;
}

/**
 * Activity types Data Factory documents but the Data Factory SDK here
 * (@azure/arm-datafactory 12.0.0, the newest available) does not model: checked against
 * their documented contract instead of being accepted unchecked.
 */
export const DOCUMENTED_ACTIVITY_CONTRACTS: Readonly<Record<string, ActivityContract>> = {
  DatabricksJob: {
    source:
      "Data Factory docs 'Transform data by running a Databricks job' (type DatabricksJob; jobId required, jobParameters optional) and the REST API's DatabricksJobActivity (api-version 2018-06-01: an ExecutionActivity whose typeProperties are jobId, required, and jobParameters)",
    linkedServiceType: 'AzureDatabricks',
    typeProperties: {
      jobId: {
        required: true,
        kind: 'string-or-expression',
        description: 'the id of the Databricks job to run (string, or Expression with resultType string)',
      },
      jobParameters: {
        required: false,
        kind: 'parameter-map',
        description: "the job parameters of the run, by name (a name not given takes the job's default)",
      },
    },
  },
};

/** The properties an execution activity may carry (the REST API's Activity + ExecutionActivity). */
const EXECUTION_ACTIVITY_KEYS = new Set([
  'name',
  'type',
  'description',
  'state',
  'onInactiveMarkAs',
  'dependsOn',
  'userProperties',
  'linkedServiceName',
  'policy',
  'typeProperties',
]);

const ITERATION = new Set(['ForEach', 'Until']);
const CONDITIONAL = new Set(['IfCondition', 'Switch']);
const CONTAINERS = new Set([...ITERATION, ...CONDITIONAL]);

/**
 * Data Factory's nesting limits ('Nested activities in Azure Data Factory and Azure Synapse
 * Analytics', section 'Nested activity embedding limitations'): If Condition and Switch may
 * be used inside ForEach or Until, not inside If Condition or Switch; ForEach and Until
 * support a single level of nesting (no ForEach or Until inside any container); a Validation
 * activity can't be placed inside a nested activity. Deeper logic goes to a child pipeline
 * run by Execute Pipeline.
 */
function nestingProblem(a: { readonly name: string; readonly type: string; readonly parents: readonly { name: string; type: string }[] }): string | undefined {
  const move = '(move it to a child pipeline run by Execute Pipeline)';
  if (ITERATION.has(a.type)) {
    const outer = a.parents.find((x) => CONTAINERS.has(x.type));
    if (outer)
      return ITERATION.has(outer.type)
        ? `${a.type} '${a.name}' is nested inside ${outer.type} '${outer.name}'; Data Factory does not allow a ForEach or Until inside a ForEach or Until ${move}`
        : `${a.type} '${a.name}' is nested inside ${outer.type} '${outer.name}'; Data Factory does not allow a ForEach or Until inside an If Condition or Switch (ForEach and Until support a single level of nesting) ${move}`;
  }
  if (CONDITIONAL.has(a.type)) {
    const outer = a.parents.find((x) => CONDITIONAL.has(x.type));
    if (outer)
      return `${a.type} '${a.name}' is nested inside ${outer.type} '${outer.name}'; Data Factory does not allow an If Condition or Switch inside an If Condition or Switch ${move}`;
  }
  if (a.type === 'Validation') {
    const outer = a.parents[a.parents.length - 1];
    if (outer)
      return `Validation '${a.name}' is nested inside ${outer.type} '${outer.name}'; Data Factory does not allow a Validation activity inside a nested activity ${move}`;
  }
  return undefined;
}

/**
 * Documented requirements of activity types the SDK models without marking them required
 * (its mappers accept a GetMetadata without dataset or fieldList, an IfCondition without
 * expression): 'Get Metadata activity' (fieldList and dataset required; the metadata
 * options) and 'If Condition activity' (expression: an Expression with result type boolean;
 * ifTrueActivities / ifFalseActivities: arrays of activities — a branch left out runs nothing,
 * as the SDK models it).
 */
function documentedShapeProblems(a: { readonly name: string; readonly type: string; readonly activity: Obj }): string[] {
  const tp = isObj(a.activity['typeProperties']) ? a.activity['typeProperties'] : {};
  const what = `${a.type} '${a.name}'`;
  const out: string[] = [];
  if (a.type === 'GetMetadata') {
    const ds = tp['dataset'];
    if (!isObj(ds) || typeof ds['referenceName'] !== 'string' || ds['type'] !== 'DatasetReference')
      out.push(`${what} has no typeProperties.dataset {"referenceName": …, "type": "DatasetReference"}, which is required: the dataset whose metadata is read`);
    const fields = tp['fieldList'];
    if (!Array.isArray(fields) || fields.length === 0)
      out.push(`${what} has no typeProperties.fieldList, which is required: the metadata to read, of ${GET_METADATA_FIELDS.join(', ')} (e.g. ["exists"])`);
    else
      for (const f of fields)
        if (!(typeof f === 'string' && (GET_METADATA_FIELDS as readonly string[]).includes(f)) && !isExpression(f))
          out.push(`${what} asks for metadata ${JSON.stringify(f)}; the documented metadata options are ${GET_METADATA_FIELDS.join(', ')}`);
  }
  if (a.type === 'IfCondition') {
    const e = tp['expression'];
    if (!isExpression(e) || !e.value.startsWith('@'))
      out.push(
        `${what} has typeProperties.expression ${JSON.stringify(e ?? null)}; it must be {"value": "@…", "type": "Expression"} evaluating to true or false`,
      );
    for (const k of ['ifTrueActivities', 'ifFalseActivities'])
      if (tp[k] !== undefined && !Array.isArray(tp[k])) out.push(`${what} has typeProperties.${k} ${JSON.stringify(tp[k])}; it must be an array of activities`);
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Where a value is not in the form Data Factory Studio writes to git (studio-form.ts; the
 * table with its sources is in pipelines/README.md): (a) a plain string holding an
 * expression where the Studio writes `{"value": "@…", "type": "Expression"}`, (b) an
 * Expression object where it writes a plain string, (c) an Expression object with other
 * keys, a value that is not a string, or a value holding no expression.
 */
function dynamicFormProblems(v: unknown, path: string, form: DynamicForm, out: { path: string; message: string }[] = []): { path: string; message: string }[] {
  const at = (k: string | number): string => (typeof k === 'number' ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`);
  if (typeof v === 'string') {
    if (form === 'expression' && holdsExpression(v))
      out.push({
        path,
        message: `${JSON.stringify(v)} is a plain string holding an expression; Data Factory Studio writes a dynamic value here as {"value": ${JSON.stringify(v)}, "type": "Expression"}: write that (saving in the Studio would rewrite it, and readers of the Studio form such as data-factory-testing-framework take the plain string literally)`,
      });
  } else if (Array.isArray(v)) v.forEach((x, i) => dynamicFormProblems(x, at(i), form, out));
  else if (isObj(v)) {
    if (v['type'] === 'Expression') {
      const value = v['value'];
      if (form === 'plain')
        out.push({
          path,
          message: `${JSON.stringify(v)} is an Expression object where Data Factory Studio writes a plain string (a trigger's pipeline parameters, a linked service's properties): write ${JSON.stringify(typeof value === 'string' ? value : '@…')}`,
        });
      else if (!isExpressionObject(v))
        out.push({
          path,
          message: `${JSON.stringify(v)} is not the Studio's Expression object: write exactly {"value": "@…", "type": "Expression"} (the two keys, the value a string)`,
        });
      else if (!holdsExpression(v.value))
        out.push({
          path,
          message: `Expression object with value ${JSON.stringify(v.value)}, which holds no expression (it neither starts with @ nor interpolates @{…}), so Data Factory takes it literally: write {"value": "@<expression>", "type": "Expression"}, or the literal as a plain string`,
        });
    } else for (const [k, x] of Object.entries(v)) dynamicFormProblems(x, at(k), form, out);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The SDK's mappers: reached through an operation spec of the SDK client (the
// package does not export them); no request is ever sent.
// ---------------------------------------------------------------------------
interface Sdk {
  readonly serializer: Serializer;
  readonly mappers: Readonly<Record<string, Mapper>>;
  readonly activityTypes: ReadonlySet<string>;
}
let sdkCache: Promise<Sdk> | undefined;
export function sdk(): Promise<Sdk> {
  sdkCache ??= (async () => {
    const client = new DataFactoryManagementClient({ getToken: async () => null }, '00000000-0000-0000-0000-000000000000');
    let spec: { serializer: Serializer } | undefined;
    (client as unknown as { sendOperationRequest: (a: unknown, s: { serializer: Serializer }) => Promise<unknown> }).sendOperationRequest = async (_a, s) => {
      spec = s;
      return {};
    };
    await client.pipelines.createOrUpdate('rg', 'factory', 'pipeline', { activities: [] });
    if (!spec) throw new Error('could not reach the Data Factory SDK mappers');
    const mappers = spec.serializer.modelMappers as Record<string, Mapper> & { discriminators?: Record<string, CompositeMapper> };
    const activityTypes = new Set<string>();
    // discriminator keys are `<parent class>.<type value>` (e.g. `ControlActivity.ForEach`, where ControlActivity
    // is the class of `Activity.Container`): collect the type values of every class that descends from Activity
    const discriminators = Object.entries(mappers['discriminators'] ?? {});
    const parents = new Set(['Activity']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [key, m] of discriminators) {
        const parent = key.slice(0, key.indexOf('.'));
        const cls = (m.type as { className?: string }).className;
        if (parents.has(parent) && cls !== undefined && !parents.has(cls)) {
          parents.add(cls);
          grew = true;
        }
      }
    }
    for (const [key] of discriminators) if (parents.has(key.slice(0, key.indexOf('.')))) activityTypes.add(key.slice(key.indexOf('.') + 1));
    for (const abstract of ['Container', 'Execution']) activityTypes.delete(abstract);
    return { serializer: createSerializer(mappers, false), mappers, activityTypes };
  })();
  return sdkCache;
}

function sdkCheck(s: Sdk, mapperName: string, doc: unknown, objectName: string): string | undefined {
  const mapper = s.mappers[mapperName];
  if (!mapper) return `no SDK mapper ${mapperName}`;
  try {
    const model = s.serializer.deserialize(mapper, doc, objectName);
    s.serializer.serialize(mapper, model, objectName);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---------------------------------------------------------------------------
// Walking activities
// ---------------------------------------------------------------------------
interface ActivityAt {
  readonly activity: Obj;
  readonly name: string;
  readonly type: string;
  /** Container chain, outermost first: `{ name, type }`. */
  readonly parents: readonly { readonly name: string; readonly type: string }[];
  /** The sibling list this activity belongs to. */
  readonly siblings: readonly Obj[];
}

/** The inner activity lists of a container activity. */
export function innerActivityLists(a: Obj): Obj[][] {
  const tp = isObj(a['typeProperties']) ? a['typeProperties'] : {};
  const lists: unknown[] = [];
  switch (a['type']) {
    case 'ForEach':
    case 'Until':
      lists.push(tp['activities']);
      break;
    case 'IfCondition':
      lists.push(tp['ifTrueActivities'], tp['ifFalseActivities']);
      break;
    case 'Switch':
      for (const c of asArray(tp['cases'])) if (isObj(c)) lists.push(c['activities']);
      lists.push(tp['defaultActivities']);
      break;
    default:
      break;
  }
  return lists.filter(Array.isArray).map((l) => (l as unknown[]).filter(isObj));
}

function allActivities(list: readonly Obj[], parents: ActivityAt['parents'] = []): ActivityAt[] {
  const out: ActivityAt[] = [];
  for (const a of list) {
    const at: ActivityAt = { activity: a, name: str(a['name']) ?? '(unnamed)', type: str(a['type']) ?? '(no type)', parents, siblings: list };
    out.push(at);
    for (const inner of innerActivityLists(a)) out.push(...allActivities(inner, [...parents, { name: at.name, type: at.type }]));
  }
  return out;
}

/** Every string value inside a JSON value, with its JSON path. */
function strings(v: unknown, path: string, out: { path: string; text: string }[] = []): { path: string; text: string }[] {
  if (typeof v === 'string') out.push({ path, text: v });
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${path}[${i}]`, out));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) strings(x, path === '' ? k : `${path}.${k}`, out);
  return out;
}

/** `pipeline().parameters.X`, `variables('X')`, `activity('X')`, `dataset().X` references of an expression. */
function references(e: Expr): { kind: 'parameter' | 'variable' | 'activity' | 'dataset' | 'linkedService'; name: string }[] {
  const out: { kind: 'parameter' | 'variable' | 'activity' | 'dataset' | 'linkedService'; name: string }[] = [];
  const visit = (x: Expr): void => {
    if (x.kind === 'member') {
      const t = x.target;
      if (
        t.kind === 'member' &&
        t.name === 'parameters' &&
        t.target.kind === 'call' &&
        t.target.name.toLowerCase() === 'pipeline' &&
        t.target.args.length === 0
      )
        out.push({ kind: 'parameter', name: x.name });
      if (t.kind === 'call' && t.args.length === 0 && t.name.toLowerCase() === 'dataset' && x.name !== 'parameters')
        out.push({ kind: 'dataset', name: x.name });
      if (t.kind === 'call' && t.args.length === 0 && t.name.toLowerCase() === 'linkedservice' && x.name !== 'parameters')
        out.push({ kind: 'linkedService', name: x.name });
      visit(x.target);
    } else if (x.kind === 'index') {
      visit(x.target);
      visit(x.index);
    } else if (x.kind === 'call') {
      const n = x.name.toLowerCase();
      const arg = x.args[0];
      if ((n === 'variables' || n === 'activity') && x.args.length === 1 && arg?.kind === 'string')
        out.push({ kind: n === 'variables' ? 'variable' : 'activity', name: arg.value });
      x.args.forEach(visit);
    }
  };
  visit(e);
  return out;
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------
export interface ValidateOptions {
  readonly maxActivitiesPerPipeline?: number;
}

/** Validates a factory given as `relative path → parsed JSON` (the git layout). */
export async function validateFactory(files: Readonly<Record<string, unknown>>, options: ValidateOptions = {}): Promise<FactoryProblem[]> {
  const s = await sdk();
  const maxActivities = options.maxActivitiesPerPipeline ?? MAX_ACTIVITIES_PER_PIPELINE;
  const problems: FactoryProblem[] = [];
  const add = (file: string, where: string, rule: ValidationRule, message: string): void => {
    problems.push({ file, where, rule, message });
  };

  const byFolder = (folder: string): [string, Obj][] =>
    Object.entries(files)
      .filter(([p]) => p.startsWith(`${folder}/`) && p.endsWith('.json'))
      .map(([p, v]) => [p, isObj(v) ? v : {}] as [string, Obj])
      .sort(([a], [b]) => (a < b ? -1 : 1));
  const entities = (folder: string): Map<string, Obj> => new Map(byFolder(folder).map(([, v]) => [str(v['name']) ?? '', v]));
  const linkedServices = entities('linkedService');
  const datasets = entities('dataset');
  const pipelines = entities('pipeline');
  const props = (v: Obj | undefined): Obj => (v && isObj(v['properties']) ? v['properties'] : {});
  const checkDynamicForm = (file: string, where: string, value: unknown, form: DynamicForm): void => {
    for (const p of dynamicFormProblems(value, '', form)) add(file, p.path === '' ? where : `${where} ${p.path}`, 'dynamic-value-form', p.message);
  };

  const checkExpressions = (
    file: string,
    where: string,
    value: unknown,
    scope: { parameters?: Obj; variables?: Obj; activities?: ReadonlySet<string>; datasetParameters?: Obj; lsParameters?: Obj },
  ): void => {
    for (const { path, text } of strings(value, '')) {
      if (!text.includes('@')) continue;
      let exprs: Expr[];
      try {
        exprs = templateExpressions(parseTemplate(text));
      } catch (e) {
        if (e instanceof ExpressionSyntaxError) {
          add(file, `${where}${path === '' ? '' : ` ${path}`}`, 'expression-syntax', e.message);
          continue;
        }
        throw e;
      }
      for (const ex of exprs) {
        walkCalls(ex, (call) => {
          const arity = functionArity(call.name.toLowerCase());
          if (arity === undefined) {
            const hint = suggestFunction(call.name);
            add(
              file,
              `${where} ${path}`,
              'unknown-function',
              `unknown function '${call.name}' at column ${call.pos} of ${JSON.stringify(text)}${hint === undefined ? '' : ` — did you mean '${hint}'?`}`,
            );
          } else if (call.args.length < arity.min || call.args.length > arity.max)
            add(
              file,
              `${where} ${path}`,
              'function-arity',
              `${call.name}() takes ${arity.min === arity.max ? arity.min : `${arity.min} to ${arity.max === Infinity ? 'any number of' : arity.max}`} argument(s), got ${call.args.length}, in ${JSON.stringify(text)}`,
            );
        });
        for (const r of references(ex)) {
          if (r.kind === 'parameter' && scope.parameters && !(r.name in scope.parameters))
            add(
              file,
              `${where} ${path}`,
              'missing-parameter',
              `pipeline().parameters.${r.name} is not a parameter of this pipeline (parameters: ${Object.keys(scope.parameters).join(', ') || 'none'})`,
            );
          if (r.kind === 'variable' && scope.variables && !(r.name in scope.variables))
            add(
              file,
              `${where} ${path}`,
              'missing-variable',
              `variables('${r.name}') is not declared in this pipeline (variables: ${Object.keys(scope.variables).join(', ') || 'none'})`,
            );
          if (r.kind === 'activity' && scope.activities && !scope.activities.has(r.name))
            add(file, `${where} ${path}`, 'missing-activity', `activity('${r.name}') is not an activity of this pipeline`);
          if (r.kind === 'dataset' && scope.datasetParameters && !(r.name in scope.datasetParameters))
            add(
              file,
              `${where} ${path}`,
              'missing-parameter',
              `dataset().${r.name} is not a parameter of this dataset (parameters: ${Object.keys(scope.datasetParameters).join(', ') || 'none'})`,
            );
          if (r.kind === 'linkedService' && scope.lsParameters && !(r.name in scope.lsParameters))
            add(file, `${where} ${path}`, 'missing-parameter', `linkedService().${r.name} is not a parameter of this linked service`);
        }
      }
    }
  };

  const checkParameterTypes = (file: string, where: string, params: unknown, allowed: readonly string[], what: string): void => {
    if (!isObj(params)) return;
    for (const [name, spec] of Object.entries(params)) {
      const type = isObj(spec) ? str(spec['type']) : undefined;
      if (type === undefined || !allowed.includes(type)) {
        add(
          file,
          `${where} ${what} '${name}'`,
          'parameter-type',
          `${what} '${name}' has type ${JSON.stringify(type ?? null)}; use one of ${allowed.join(', ')}`,
        );
        continue;
      }
      const dv = isObj(spec) ? spec['defaultValue'] : undefined;
      if (dv === undefined || dv === null || (typeof dv === 'string' && dv.startsWith('@'))) continue;
      const ok =
        type === 'String' || type === 'SecureString'
          ? typeof dv === 'string'
          : type === 'Int' || type === 'Integer'
            ? Number.isInteger(dv)
            : type === 'Float'
              ? typeof dv === 'number'
              : type === 'Bool' || type === 'Boolean'
                ? typeof dv === 'boolean'
                : type === 'Array'
                  ? Array.isArray(dv)
                  : isObj(dv);
      if (!ok) add(file, `${where} ${what} '${name}'`, 'parameter-type', `${what} '${name}' is declared ${type} but its defaultValue is ${JSON.stringify(dv)}`);
    }
  };

  const checkLinkedServiceRef = (file: string, where: string, r: unknown): void => {
    if (!isObj(r)) return;
    const name = str(r['referenceName']);
    if (name !== undefined && !linkedServices.has(name))
      add(
        file,
        where,
        'missing-linked-service',
        `linked service '${name}' does not exist (linked services: ${[...linkedServices.keys()].join(', ') || 'none'})`,
      );
  };

  const checkDatasetRef = (file: string, where: string, r: unknown, scope: Parameters<typeof checkExpressions>[3]): void => {
    if (!isObj(r)) return;
    const name = str(r['referenceName']) ?? '';
    const ds = datasets.get(name);
    if (!ds) {
      add(file, where, 'missing-dataset', `dataset '${name}' does not exist (datasets: ${[...datasets.keys()].join(', ') || 'none'})`);
      return;
    }
    const declared = isObj(props(ds)['parameters']) ? (props(ds)['parameters'] as Obj) : {};
    const given = isObj(r['parameters']) ? r['parameters'] : {};
    for (const p of Object.keys(given))
      if (!(p in declared))
        add(file, where, 'missing-parameter', `dataset '${name}' has no parameter '${p}' (parameters: ${Object.keys(declared).join(', ') || 'none'})`);
    for (const [p, spec] of Object.entries(declared))
      if (!(p in given) && !(isObj(spec) && spec['defaultValue'] !== undefined))
        add(file, where, 'missing-parameter', `dataset '${name}' needs parameter '${p}', which is not passed`);
    checkExpressions(file, where, given, scope);
  };

  // -- linked services
  for (const [file, doc] of byFolder('linkedService')) {
    const name = str(doc['name']) ?? '';
    if (`linkedService/${name}.json` !== file)
      add(file, 'name', 'name-mismatch', `the file holds linked service '${name}'; the git layout wants linkedService/<name>.json`);
    const err = sdkCheck(s, 'LinkedServiceResource', doc, 'linkedService');
    if (err) add(file, name, 'sdk-schema', `the Data Factory SDK rejects it: ${err}`);
    const p = props(doc);
    for (const { path, value } of findKeyVaultRefs(p, '')) checkLinkedServiceRef(file, `${name} ${path}`, value);
    checkParameterTypes(file, name, p['parameters'], PARAMETER_TYPES, 'parameter');
    checkExpressions(file, name, p['typeProperties'], { lsParameters: isObj(p['parameters']) ? p['parameters'] : {} });
    checkDynamicForm(file, `${name} typeProperties`, p['typeProperties'], 'plain');
  }

  // -- datasets
  for (const [file, doc] of byFolder('dataset')) {
    const name = str(doc['name']) ?? '';
    if (`dataset/${name}.json` !== file) add(file, 'name', 'name-mismatch', `the file holds dataset '${name}'; the git layout wants dataset/<name>.json`);
    const err = sdkCheck(s, 'DatasetResource', doc, 'dataset');
    if (err) add(file, name, 'sdk-schema', `the Data Factory SDK rejects it: ${err}`);
    const p = props(doc);
    if (p['linkedServiceName'] === undefined) add(file, name, 'missing-linked-service', `dataset '${name}' has no linkedServiceName`);
    checkLinkedServiceRef(file, `${name} linkedServiceName`, p['linkedServiceName']);
    checkParameterTypes(file, name, p['parameters'], PARAMETER_TYPES, 'parameter');
    checkExpressions(file, name, p['typeProperties'], { datasetParameters: isObj(p['parameters']) ? p['parameters'] : {} });
    checkDynamicForm(file, `${name} typeProperties`, p['typeProperties'], 'expression');
  }

  // -- pipelines
  for (const [file, doc] of byFolder('pipeline')) {
    const name = str(doc['name']) ?? '';
    if (`pipeline/${name}.json` !== file) add(file, 'name', 'name-mismatch', `the file holds pipeline '${name}'; the git layout wants pipeline/<name>.json`);
    const err = sdkCheck(s, 'PipelineResource', doc, 'pipeline');
    if (err) add(file, name, 'sdk-schema', `the Data Factory SDK rejects it: ${err}`);
    const p = props(doc);
    const parameters = isObj(p['parameters']) ? p['parameters'] : {};
    const variables = isObj(p['variables']) ? p['variables'] : {};
    checkParameterTypes(file, name, parameters, PARAMETER_TYPES, 'parameter');
    checkParameterTypes(file, name, variables, VARIABLE_TYPES, 'variable');
    const top = asArray(p['activities']).filter(isObj);
    const all = allActivities(top);
    const names = new Set(all.map((a) => a.name));
    if (all.length > maxActivities)
      add(
        file,
        name,
        'activity-limit',
        `pipeline '${name}' has ${all.length} activities (inner activities of containers included); Data Factory allows at most ${maxActivities}`,
      );
    const seen = new Set<string>();
    for (const a of all) {
      const where = `activity '${a.name}'`;
      if (seen.has(a.name)) add(file, where, 'duplicate-activity', `activity name '${a.name}' is used more than once in pipeline '${name}'`);
      seen.add(a.name);
      const contract = DOCUMENTED_ACTIVITY_CONTRACTS[a.type];
      if (contract) for (const message of contractProblems(a, contract, linkedServices)) add(file, where, 'activity-contract', message);
      else if (!s.activityTypes.has(a.type)) add(file, where, 'unknown-activity-type', `activity '${a.name}' has unknown type '${a.type}'`);
      for (const message of documentedShapeProblems(a)) add(file, where, 'activity-contract', message);
      // nesting limits
      const nested = nestingProblem(a);
      if (nested) add(file, where, 'nesting', nested);
      if (a.type === 'ForEach') {
        const tp = isObj(a.activity['typeProperties']) ? a.activity['typeProperties'] : {};
        const bc = tp['batchCount'];
        if (bc !== undefined && (typeof bc !== 'number' || !Number.isInteger(bc) || bc < 1 || bc > MAX_BATCH_COUNT))
          add(file, where, 'batch-count', `ForEach '${a.name}' has batchCount ${JSON.stringify(bc)}; use a whole number from 1 to ${MAX_BATCH_COUNT}`);
      }
      // dependsOn: siblings only, known conditions
      const siblingNames = new Set(a.siblings.map((x) => str(x['name']) ?? ''));
      for (const d of asArray(a.activity['dependsOn'])) {
        if (!isObj(d)) continue;
        const target = str(d['activity']) ?? '';
        if (!siblingNames.has(target) || target === a.name)
          add(
            file,
            where,
            'dangling-depends-on',
            `activity '${a.name}' depends on '${target}', which is not ${target === a.name ? 'another' : 'an'} activity of the same ${a.parents.length === 0 ? 'pipeline' : `container '${a.parents[a.parents.length - 1]?.name}'`} (there: ${[...siblingNames].join(', ')})`,
          );
        for (const c of asArray(d['dependencyConditions']))
          if (!DEPENDENCY_CONDITIONS.includes(c as (typeof DEPENDENCY_CONDITIONS)[number]))
            add(
              file,
              where,
              'bad-dependency-condition',
              `activity '${a.name}' depends on '${target}' with condition ${JSON.stringify(c)}; use ${DEPENDENCY_CONDITIONS.join(', ')}`,
            );
      }
      // references
      const tp = isObj(a.activity['typeProperties']) ? a.activity['typeProperties'] : {};
      const scope = { parameters, variables, activities: names };
      if (a.activity['linkedServiceName'] !== undefined) checkLinkedServiceRef(file, where, a.activity['linkedServiceName']);
      for (const r of [...asArray(a.activity['inputs']), ...asArray(a.activity['outputs'])]) checkDatasetRef(file, where, r, scope);
      if (tp['dataset'] !== undefined) checkDatasetRef(file, where, tp['dataset'], scope);
      if (a.type === 'ExecutePipeline') {
        const target = isObj(tp['pipeline']) ? (str(tp['pipeline']['referenceName']) ?? '') : '';
        const child = pipelines.get(target);
        if (!child)
          add(
            file,
            where,
            'missing-pipeline',
            `Execute Pipeline '${a.name}' runs pipeline '${target}', which does not exist (pipelines: ${[...pipelines.keys()].join(', ')})`,
          );
        else {
          const declared = isObj(props(child)['parameters']) ? (props(child)['parameters'] as Obj) : {};
          const given = isObj(tp['parameters']) ? tp['parameters'] : {};
          for (const k of Object.keys(given))
            if (!(k in declared))
              add(file, where, 'missing-parameter', `pipeline '${target}' has no parameter '${k}' (parameters: ${Object.keys(declared).join(', ') || 'none'})`);
          for (const [k, spec] of Object.entries(declared))
            if (!(k in given) && !(isObj(spec) && spec['defaultValue'] !== undefined))
              add(file, where, 'missing-parameter', `pipeline '${target}' needs parameter '${k}', which Execute Pipeline '${a.name}' does not pass`);
        }
      }
      if ((a.type === 'SetVariable' || a.type === 'AppendVariable') && typeof tp['variableName'] === 'string' && !(tp['variableName'] in variables))
        add(file, where, 'missing-variable', `${a.type} '${a.name}' sets variable '${tp['variableName']}', which is not declared in pipeline '${name}'`);
      // expressions (the activity's own properties, not its inner activities)
      const own: Obj = { ...a.activity };
      delete own['name'];
      if (isObj(own['typeProperties'])) {
        const t: Obj = { ...own['typeProperties'] };
        for (const k of ['activities', 'ifTrueActivities', 'ifFalseActivities', 'defaultActivities']) delete t[k];
        if (Array.isArray(t['cases'])) t['cases'] = t['cases'].map((c) => (isObj(c) ? { ...c, activities: [] } : c));
        own['typeProperties'] = t;
      }
      checkExpressions(file, where, own, scope);
      // the Studio's form of dynamic values (not the activity's name, description or userProperties)
      const { description: _d, userProperties: _u, ...formed } = own;
      checkDynamicForm(file, where, formed, 'expression');
    }
    // cycles, per sibling list
    for (const list of [top, ...all.flatMap((a) => innerActivityLists(a.activity))]) {
      const cycle = findCycle(list);
      if (cycle) add(file, `activity '${cycle[0]}'`, 'cyclic-depends-on', `dependsOn forms a cycle: ${cycle.join(' → ')}`);
    }
  }

  // -- triggers
  for (const [pipeline, started] of Object.entries(startedTriggersByPipeline(files)))
    if (started.length > 1)
      add(
        `trigger/${started[1]}.json`,
        started[1]!,
        'one-active-schedule',
        `pipeline '${pipeline}' is started by ${started.length} Started triggers (${started.join(', ')}); one batch has one active schedule: set runtimeState Stopped on all but one`,
      );
  for (const [file, doc] of byFolder('trigger')) {
    const name = str(doc['name']) ?? '';
    const p = props(doc);
    const refs = [...asArray(p['pipelines']), ...(isObj(p['pipeline']) ? [p['pipeline']] : [])].filter(isObj);
    for (const r of refs) {
      const target = isObj(r['pipelineReference']) ? (str(r['pipelineReference']['referenceName']) ?? '') : '';
      const pl = pipelines.get(target);
      if (!pl) {
        add(
          file,
          name,
          'missing-pipeline',
          `trigger '${name}' starts pipeline '${target}', which does not exist (pipelines: ${[...pipelines.keys()].join(', ')})`,
        );
        continue;
      }
      const declared = isObj(props(pl)['parameters']) ? (props(pl)['parameters'] as Obj) : {};
      const given = isObj(r['parameters']) ? r['parameters'] : {};
      for (const k of Object.keys(given)) if (!(k in declared)) add(file, name, 'missing-parameter', `pipeline '${target}' has no parameter '${k}'`);
      for (const [k, spec] of Object.entries(declared))
        if (!(k in given) && !(isObj(spec) && spec['defaultValue'] !== undefined))
          add(file, name, 'missing-parameter', `pipeline '${target}' needs parameter '${k}', which trigger '${name}' does not pass`);
      checkExpressions(file, name, given, {});
      checkDynamicForm(file, `${name} pipeline '${target}' parameters`, given, 'plain');
    }
  }
  // -- the service limits the factory and its control manifest must stay within (limits.ts)
  problems.push(...limitProblems(files));
  return problems;
}

/** The pipelines a trigger starts (`pipelines` of schedule triggers, `pipeline` of tumbling windows). */
function triggerPipelines(p: Obj): string[] {
  return [...asArray(p['pipelines']), ...(isObj(p['pipeline']) ? [p['pipeline']] : [])]
    .filter(isObj)
    .map((r) => (isObj(r['pipelineReference']) ? (str(r['pipelineReference']['referenceName']) ?? '') : ''));
}

/** Per pipeline, the triggers with runtimeState Started that start it (sorted): one active schedule per batch means at most one each. */
export function startedTriggersByPipeline(files: Readonly<Record<string, unknown>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [path, doc] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!path.startsWith('trigger/') || !isObj(doc) || !isObj(doc['properties'])) continue;
    if (doc['properties']['runtimeState'] !== 'Started') continue;
    for (const pl of triggerPipelines(doc['properties'])) (out[pl] ??= []).push(str(doc['name']) ?? path);
  }
  return out;
}

const isExpression = isExpressionObject;

/** What breaks an activity's documented contract (for types the SDK does not model). */
function contractProblems(a: ActivityAt, c: ActivityContract, linkedServices: ReadonlyMap<string, Obj>): string[] {
  const out: string[] = [];
  const what = `${a.type} '${a.name}'`;
  const documented = Object.keys(c.typeProperties).join(', ');
  for (const k of Object.keys(a.activity))
    if (!EXECUTION_ACTIVITY_KEYS.has(k)) out.push(`${what} has property '${k}', which the documented ${a.type} activity does not have (see ${c.source})`);
  const ls = a.activity['linkedServiceName'];
  if (ls === undefined) out.push(`${what} has no linkedServiceName; it must reference an ${c.linkedServiceType} linked service`);
  else {
    const target = isObj(ls) ? linkedServices.get(str(ls['referenceName']) ?? '') : undefined;
    const type = target && isObj(target['properties']) ? str(target['properties']['type']) : undefined;
    if (target && type !== c.linkedServiceType)
      out.push(
        `${what} references linked service '${str(isObj(ls) ? ls['referenceName'] : '')}' of type ${JSON.stringify(type ?? null)}; it must be an ${c.linkedServiceType} linked service`,
      );
  }
  const tp = a.activity['typeProperties'];
  if (!isObj(tp)) {
    out.push(`${what} has no typeProperties (documented: ${documented})`);
    return out;
  }
  for (const k of Object.keys(tp))
    if (!(k in c.typeProperties)) out.push(`${what} has typeProperties.${k}, which is not documented for ${a.type} (documented: ${documented})`);
  for (const [k, spec] of Object.entries(c.typeProperties)) {
    const v = tp[k];
    if (v === undefined || v === null) {
      if (spec.required) out.push(`${what} has no typeProperties.${k}, which is required: ${spec.description}`);
      continue;
    }
    if (spec.kind === 'string-or-expression' && !((typeof v === 'string' && v.trim() !== '') || isExpression(v)))
      out.push(
        `${what} has typeProperties.${k} ${JSON.stringify(v)}; it must be ${spec.description}: a non-empty string or {"value": "@…", "type": "Expression"}`,
      );
    if (spec.kind === 'parameter-map') {
      if (!isObj(v)) out.push(`${what} has typeProperties.${k} ${JSON.stringify(v)}; it must be an object of name → value (${spec.description})`);
      else
        for (const [name, x] of Object.entries(v))
          if (!(typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' || isExpression(x)))
            out.push(`${what} passes ${k}.${name} = ${JSON.stringify(x)}; a value must be a string, number, boolean or {"value": "@…", "type": "Expression"}`);
    }
  }
  return out;
}

function findKeyVaultRefs(v: unknown, path: string, out: { path: string; value: Obj }[] = []): { path: string; value: Obj }[] {
  if (isObj(v)) {
    if (v['type'] === 'AzureKeyVaultSecret' && isObj(v['store'])) out.push({ path, value: v['store'] });
    for (const [k, x] of Object.entries(v)) findKeyVaultRefs(x, path === '' ? k : `${path}.${k}`, out);
  } else if (Array.isArray(v)) v.forEach((x, i) => findKeyVaultRefs(x, `${path}[${i}]`, out));
  return out;
}

/** A dependency cycle among sibling activities, as names (first repeated at the end), if any. */
function findCycle(list: readonly Obj[]): string[] | undefined {
  const deps = new Map<string, string[]>();
  for (const a of list)
    deps.set(
      str(a['name']) ?? '',
      asArray(a['dependsOn'])
        .filter(isObj)
        .map((d) => str(d['activity']) ?? ''),
    );
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done' || !deps.has(n)) return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...deps.keys()].sort()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** `file: where: message [rule]` */
export function formatProblem(p: FactoryProblem): string {
  return `${p.file}: ${p.where}: ${p.message} [${p.rule}]`;
}
