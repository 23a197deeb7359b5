/**
 * The validator: the generated factory is clean; then one broken factory per rule,
 * each made from the golden factory by one edit, each with its exact message.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { formatProblem, readFactoryDir, validateFactory } from '@streampulse/pipelines';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const GOLDEN = join(ROOT, 'pipelines', 'test', 'golden', 'adf');
const golden = readFactoryDir(GOLDEN);

// biome-ignore lint/suspicious/noExplicitAny: the test walks generated JSON documents of any shape
type Doc = Record<string, any>;
/** A copy of the golden factory with one edit. */
function broken(edit: (files: Record<string, Doc>) => void): Record<string, unknown> {
  const files = JSON.parse(JSON.stringify(golden)) as Record<string, Doc>;
  edit(files);
  return files;
}
const ingest = (f: Record<string, Doc>): Doc[] => f['pipeline/pl_ingest_dataset.json']!['properties']['activities'];
const master = (f: Record<string, Doc>): Doc[] => f['pipeline/pl_daily_master.json']!['properties']['activities'];
const wave = (f: Record<string, Doc>): Doc[] => f['pipeline/pl_ingest_wave.json']!['properties']['activities'];
const act = (list: Doc[], name: string): Doc => list.find((a) => a['name'] === name)!;
const ifSource = (f: Record<string, Doc>): Doc => act(ingest(f), 'If source file exists');
const copySource = (f: Record<string, Doc>): Doc => act(ifSource(f)['typeProperties']['ifTrueActivities'], 'Copy source to landing');
const wait = (name: string, dependsOn: Doc[] = []): Doc => ({ name, type: 'Wait', dependsOn, userProperties: [], typeProperties: { waitTimeInSeconds: 1 } });

async function problems(files: Record<string, unknown>): Promise<string[]> {
  return (await validateFactory(files)).map(formatProblem);
}

describe('validateFactory', () => {
  it('finds nothing wrong in the generated factory', async () => {
    expect(await problems(golden)).toStrictEqual([]);
  });

  it.each<[string, (f: Record<string, Doc>) => void, string[]]>([
    [
      'sdk-schema: the SDK serializer rejects a wrong type',
      (f) => {
        act(wave(f), 'For each dataset')['typeProperties']['batchCount'] = 'four';
      },
      [
        'pipeline/pl_ingest_wave.json: pl_ingest_wave: the Data Factory SDK rejects it: pipeline.properties.activities.typeProperties.batchCount with value four must be of type number. [sdk-schema]',
        "pipeline/pl_ingest_wave.json: activity 'For each dataset': ForEach 'For each dataset' has batchCount \"four\"; use a whole number from 1 to 50 [batch-count]",
      ],
    ],
    [
      'name-mismatch: the file name is not the entity name',
      (f) => {
        f['dataset/ds_extract.json'] = f['dataset/ds_mart_extract.json']!;
        delete f['dataset/ds_mart_extract.json'];
      },
      ["dataset/ds_extract.json: name: the file holds dataset 'ds_mart_extract'; the git layout wants dataset/<name>.json [name-mismatch]"],
    ],
    [
      'sdk-schema: a required field is missing',
      (f) => {
        delete act(ingest(f), 'Fail ingestion')['name'];
      },
      [
        'pipeline/pl_ingest_dataset.json: pl_ingest_dataset: the Data Factory SDK rejects it: pipeline.properties.activities.name cannot be null or undefined. [sdk-schema]',
      ],
    ],
    [
      'dangling-depends-on',
      (f) => {
        act(ingest(f), 'Silver')['dependsOn'][0]['activity'] = 'Bronce';
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Silver': activity 'Silver' depends on 'Bronce', which is not an activity of the same pipeline (there: Check source file, If source file exists, Bronze, Silver, Record ingestion failure, Fail ingestion) [dangling-depends-on]",
      ],
    ],
    [
      'cyclic-depends-on',
      (f) => {
        ifSource(f)['dependsOn'] = [{ activity: 'Silver', dependencyConditions: ['Succeeded'] }];
      },
      ["pipeline/pl_ingest_dataset.json: activity 'Bronze': dependsOn forms a cycle: Bronze → If source file exists → Silver → Bronze [cyclic-depends-on]"],
    ],
    [
      'bad-dependency-condition',
      (f) => {
        act(ingest(f), 'Bronze')['dependsOn'][0]['dependencyConditions'] = ['Success'];
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Bronze': activity 'Bronze' depends on 'If source file exists' with condition \"Success\"; use Succeeded, Failed, Skipped, Completed [bad-dependency-condition]",
      ],
    ],
    [
      'duplicate-activity',
      (f) => {
        ingest(f).push(wait('Bronze'));
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Bronze': activity name 'Bronze' is used more than once in pipeline 'pl_ingest_dataset' [duplicate-activity]",
      ],
    ],
    [
      'missing-dataset',
      (f) => {
        act(ingest(f), 'Check source file')['typeProperties']['dataset']['referenceName'] = 'ds_nope';
        copySource(f)['inputs'][0]['referenceName'] = 'ds_nope';
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Check source file': dataset 'ds_nope' does not exist (datasets: ds_control_file, ds_landing_file, ds_mart_extract, ds_source_file, ds_sql_table) [missing-dataset]",
        "pipeline/pl_ingest_dataset.json: activity 'Copy source to landing': dataset 'ds_nope' does not exist (datasets: ds_control_file, ds_landing_file, ds_mart_extract, ds_source_file, ds_sql_table) [missing-dataset]",
      ],
    ],
    [
      'missing-linked-service',
      (f) => {
        f['dataset/ds_mart_extract.json']!['properties']['linkedServiceName']['referenceName'] = 'ls_nope';
      },
      [
        "dataset/ds_mart_extract.json: ds_mart_extract linkedServiceName: linked service 'ls_nope' does not exist (linked services: ls_adls_lake, ls_azure_sql_serving, ls_blob_source_drop, ls_databricks, ls_key_vault) [missing-linked-service]",
      ],
    ],
    [
      'missing-pipeline',
      (f) => {
        act(wave(f), 'For each dataset')['typeProperties']['activities'][0]['typeProperties']['pipeline']['referenceName'] = 'pl_nope';
      },
      [
        "pipeline/pl_ingest_wave.json: activity 'Ingest dataset': Execute Pipeline 'Ingest dataset' runs pipeline 'pl_nope', which does not exist (pipelines: pl_daily_master, pl_hourly_master, pl_ingest_dataset, pl_ingest_wave) [missing-pipeline]",
      ],
    ],
    [
      'missing-parameter: an expression names an undeclared pipeline parameter',
      (f) => {
        act(ingest(f), 'Bronze')['typeProperties']['jobParameters']['run_date'] = { value: '@pipeline().parameters.run_date', type: 'Expression' };
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Bronze' typeProperties.jobParameters.run_date.value: pipeline().parameters.run_date is not a parameter of this pipeline (parameters: dataset, system, landingFolder, landingFile, bronzeJob, silverJob, runDate, freshness, databricksJobId) [missing-parameter]",
      ],
    ],
    [
      'missing-parameter: Execute Pipeline does not pass a required parameter',
      (f) => {
        delete act(wave(f), 'For each dataset')['typeProperties']['activities'][0]['typeProperties']['parameters']['runDate'];
      },
      [
        "pipeline/pl_ingest_wave.json: activity 'Ingest dataset': pipeline 'pl_ingest_dataset' needs parameter 'runDate', which Execute Pipeline 'Ingest dataset' does not pass [missing-parameter]",
      ],
    ],
    [
      'missing-variable',
      (f) => {
        ingest(f).push({
          name: 'Remember',
          type: 'SetVariable',
          dependsOn: [],
          userProperties: [],
          typeProperties: { variableName: 'lastDate', value: { value: '@pipeline().parameters.runDate', type: 'Expression' } },
        });
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Remember': SetVariable 'Remember' sets variable 'lastDate', which is not declared in pipeline 'pl_ingest_dataset' [missing-variable]",
      ],
    ],
    [
      'nesting: a ForEach inside a ForEach',
      (f) => {
        const inner = {
          name: 'Inner loop',
          type: 'ForEach',
          dependsOn: [],
          userProperties: [],
          typeProperties: { items: { value: '@range(0, 2)', type: 'Expression' }, activities: [wait('Nap')] },
        };
        act(wave(f), 'For each dataset')['typeProperties']['activities'].push(inner);
      },
      [
        "pipeline/pl_ingest_wave.json: activity 'Inner loop': ForEach 'Inner loop' is nested inside ForEach 'For each dataset'; Data Factory does not allow a ForEach or Until inside a ForEach or Until (move it to a child pipeline run by Execute Pipeline) [nesting]",
      ],
    ],
    [
      'nesting: a Switch inside an If Condition',
      (f) => {
        const sw = {
          name: 'Pick',
          type: 'Switch',
          dependsOn: [],
          userProperties: [],
          typeProperties: { on: { value: "@string('a')", type: 'Expression' }, cases: [{ value: 'a', activities: [wait('A')] }], defaultActivities: [] },
        };
        ingest(f).push({
          name: 'Check',
          type: 'IfCondition',
          dependsOn: [],
          userProperties: [],
          typeProperties: { expression: { value: '@equals(1, 1)', type: 'Expression' }, ifTrueActivities: [sw] },
        });
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Pick': Switch 'Pick' is nested inside IfCondition 'Check'; Data Factory does not allow an If Condition or Switch inside an If Condition or Switch (move it to a child pipeline run by Execute Pipeline) [nesting]",
      ],
    ],
    [
      'nesting: a ForEach inside an If Condition (ForEach and Until support a single level of nesting)',
      (f) => {
        ifSource(f)['typeProperties']['ifFalseActivities'].push({
          name: 'Each hour',
          type: 'ForEach',
          dependsOn: [],
          userProperties: [],
          typeProperties: { items: { value: '@range(0, 24)', type: 'Expression' }, activities: [wait('Nap')] },
        });
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Each hour': ForEach 'Each hour' is nested inside IfCondition 'If source file exists'; Data Factory does not allow a ForEach or Until inside an If Condition or Switch (ForEach and Until support a single level of nesting) (move it to a child pipeline run by Execute Pipeline) [nesting]",
      ],
    ],
    [
      'nesting: an If Condition inside the If Condition, a Validation activity inside it',
      (f) => {
        const branch = ifSource(f)['typeProperties']['ifFalseActivities'];
        branch.push({
          name: 'Wait for the file',
          type: 'Validation',
          dependsOn: [],
          userProperties: [],
          typeProperties: { dataset: copySource(f)['inputs'][0], timeout: '0.01:00:00', sleep: 60 },
        });
        branch.push({
          name: 'Again',
          type: 'IfCondition',
          dependsOn: [],
          userProperties: [],
          typeProperties: { expression: { value: '@equals(1, 1)', type: 'Expression' }, ifTrueActivities: [], ifFalseActivities: [] },
        });
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Wait for the file': Validation 'Wait for the file' is nested inside IfCondition 'If source file exists'; Data Factory does not allow a Validation activity inside a nested activity (move it to a child pipeline run by Execute Pipeline) [nesting]",
        "pipeline/pl_ingest_dataset.json: activity 'Again': IfCondition 'Again' is nested inside IfCondition 'If source file exists'; Data Factory does not allow an If Condition or Switch inside an If Condition or Switch (move it to a child pipeline run by Execute Pipeline) [nesting]",
      ],
    ],
    [
      'activity-contract: a Get Metadata without fieldList (documented as required), one asking for metadata that is not documented',
      (f) => {
        const check = act(ingest(f), 'Check source file');
        delete check['typeProperties']['fieldList'];
        ingest(f).push({
          ...JSON.parse(JSON.stringify(check)),
          name: 'Check size',
          typeProperties: { ...check['typeProperties'], fieldList: ['exists', 'rowCount'] },
        });
        delete check['typeProperties']['dataset'];
      },
      [
        'pipeline/pl_ingest_dataset.json: activity \'Check source file\': GetMetadata \'Check source file\' has no typeProperties.dataset {"referenceName": …, "type": "DatasetReference"}, which is required: the dataset whose metadata is read [activity-contract]',
        "pipeline/pl_ingest_dataset.json: activity 'Check source file': GetMetadata 'Check source file' has no typeProperties.fieldList, which is required: the metadata to read, of itemName, itemType, size, created, lastModified, childItems, contentMD5, structure, columnCount, exists (e.g. [\"exists\"]) [activity-contract]",
        "pipeline/pl_ingest_dataset.json: activity 'Check size': GetMetadata 'Check size' asks for metadata \"rowCount\"; the documented metadata options are itemName, itemType, size, created, lastModified, childItems, contentMD5, structure, columnCount, exists [activity-contract]",
      ],
    ],
    [
      'activity-contract: an If Condition whose expression is a plain string, not an Expression',
      (f) => {
        ifSource(f)['typeProperties']['expression'] = "@activity('Check source file').output.exists";
      },
      [
        'pipeline/pl_ingest_dataset.json: pl_ingest_dataset: the Data Factory SDK rejects it: pipeline.properties.activities.typeProperties.expression.value cannot be null or undefined. [sdk-schema]',
        `pipeline/pl_ingest_dataset.json: activity 'If source file exists': IfCondition 'If source file exists' has typeProperties.expression "@activity('Check source file').output.exists"; it must be {"value": "@…", "type": "Expression"} evaluating to true or false [activity-contract]`,
        `pipeline/pl_ingest_dataset.json: activity 'If source file exists' typeProperties.expression: "@activity('Check source file').output.exists" is a plain string holding an expression; Data Factory Studio writes a dynamic value here as {"value": "@activity('Check source file').output.exists", "type": "Expression"}: write that (saving in the Studio would rewrite it, and readers of the Studio form such as data-factory-testing-framework take the plain string literally) [dynamic-value-form]`,
      ],
    ],
    [
      'activity-limit',
      (f) => {
        for (let i = 0; i < 113; i++) ingest(f).push(wait(`Wait ${i}`));
      },
      [
        "pipeline/pl_ingest_dataset.json: pl_ingest_dataset: pipeline 'pl_ingest_dataset' has 121 activities (inner activities of containers included); Data Factory allows at most 120 [activity-limit]",
      ],
    ],
    [
      'unknown-activity-type',
      (f) => {
        act(ingest(f), 'Bronze')['type'] = 'DatabricksPython';
      },
      ["pipeline/pl_ingest_dataset.json: activity 'Bronze': activity 'Bronze' has unknown type 'DatabricksPython' [unknown-activity-type]"],
    ],
    [
      'activity-contract: a DatabricksJob without typeProperties.jobId (documented as required)',
      (f) => {
        delete act(ingest(f), 'Bronze')['typeProperties']['jobId'];
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Bronze': DatabricksJob 'Bronze' has no typeProperties.jobId, which is required: the id of the Databricks job to run (string, or Expression with resultType string) [activity-contract]",
      ],
    ],
    [
      "activity-contract: 'jobID' (the spelling of the documentation's sample) is not the documented property jobId",
      (f) => {
        const tp = act(ingest(f), 'Bronze')['typeProperties'];
        tp['jobID'] = tp['jobId'];
        delete tp['jobId'];
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Bronze': DatabricksJob 'Bronze' has typeProperties.jobID, which is not documented for DatabricksJob (documented: jobId, jobParameters) [activity-contract]",
        "pipeline/pl_ingest_dataset.json: activity 'Bronze': DatabricksJob 'Bronze' has no typeProperties.jobId, which is required: the id of the Databricks job to run (string, or Expression with resultType string) [activity-contract]",
      ],
    ],
    [
      'activity-contract: the old Spark Python properties on a DatabricksJob, an empty jobId, a list as a job parameter',
      (f) => {
        const a = act(ingest(f), 'Silver');
        a['typeProperties']['jobId'] = ' ';
        a['typeProperties']['libraries'] = [{ whl: 'streampulse_spark.whl' }];
        a['typeProperties']['jobParameters']['layer'] = ['gold', 'mart'];
      },
      [
        "pipeline/pl_ingest_dataset.json: activity 'Silver': DatabricksJob 'Silver' has typeProperties.libraries, which is not documented for DatabricksJob (documented: jobId, jobParameters) [activity-contract]",
        'pipeline/pl_ingest_dataset.json: activity \'Silver\': DatabricksJob \'Silver\' has typeProperties.jobId " "; it must be the id of the Databricks job to run (string, or Expression with resultType string): a non-empty string or {"value": "@…", "type": "Expression"} [activity-contract]',
        'pipeline/pl_ingest_dataset.json: activity \'Silver\': DatabricksJob \'Silver\' passes jobParameters.layer = ["gold","mart"]; a value must be a string, number, boolean or {"value": "@…", "type": "Expression"} [activity-contract]',
      ],
    ],
    [
      'activity-contract: a DatabricksJob must run on an AzureDatabricks linked service',
      (f) => {
        act(master(f), 'Gold')['linkedServiceName']['referenceName'] = 'ls_azure_sql_serving';
        delete act(master(f), 'Export')['linkedServiceName'];
      },
      [
        "pipeline/pl_daily_master.json: activity 'Gold': DatabricksJob 'Gold' references linked service 'ls_azure_sql_serving' of type \"AzureSqlDatabase\"; it must be an AzureDatabricks linked service [activity-contract]",
        "pipeline/pl_daily_master.json: activity 'Export': DatabricksJob 'Export' has no linkedServiceName; it must reference an AzureDatabricks linked service [activity-contract]",
      ],
    ],
    [
      'one-active-schedule: the tumbling window started beside the daily schedule',
      (f) => {
        f['trigger/tr_daily_window.json']!['properties']['runtimeState'] = 'Started';
      },
      [
        "trigger/tr_daily_window.json: tr_daily_window: pipeline 'pl_daily_master' is started by 2 Started triggers (tr_daily_schedule, tr_daily_window); one batch has one active schedule: set runtimeState Stopped on all but one [one-active-schedule]",
      ],
    ],
    [
      'expression-syntax',
      (f) => {
        act(ingest(f), 'Fail ingestion')['typeProperties']['message']['value'] = "@concat('ingestion of ', pipeline().parameters.dataset";
      },
      [
        `pipeline/pl_ingest_dataset.json: activity 'Fail ingestion' typeProperties.message.value: expression syntax error at column 55: expected ',' or ')' in the arguments of concat(), found the end of the expression in "@concat('ingestion of ', pipeline().parameters.dataset" [expression-syntax]`,
      ],
    ],
    [
      'unknown-function',
      (f) => {
        act(ingest(f), 'Fail ingestion')['typeProperties']['message']['value'] = "@concat('failed: ', toTitleCase(pipeline().parameters.dataset))";
      },
      [
        `pipeline/pl_ingest_dataset.json: activity 'Fail ingestion' typeProperties.message.value: unknown function 'toTitleCase' at column 21 of "@concat('failed: ', toTitleCase(pipeline().parameters.dataset))" [unknown-function]`,
      ],
    ],
    [
      'unknown-function: a near miss names the function meant',
      (f) => {
        act(ingest(f), 'Fail ingestion')['typeProperties']['message']['value'] = "@concat('failed on ', formatDatetim(utcNow(), 'yyyy-MM-dd'))";
      },
      [
        `pipeline/pl_ingest_dataset.json: activity 'Fail ingestion' typeProperties.message.value: unknown function 'formatDatetim' at column 23 of "@concat('failed on ', formatDatetim(utcNow(), 'yyyy-MM-dd'))" — did you mean 'formatDateTime'? [unknown-function]`,
      ],
    ],
    [
      'function-arity',
      (f) => {
        act(ingest(f), 'Fail ingestion')['typeProperties']['message']['value'] = "@replace(pipeline().parameters.dataset, '_')";
      },
      [
        `pipeline/pl_ingest_dataset.json: activity 'Fail ingestion' typeProperties.message.value: replace() takes 3 argument(s), got 2, in "@replace(pipeline().parameters.dataset, '_')" [function-arity]`,
      ],
    ],
    [
      'parameter-type',
      (f) => {
        f['pipeline/pl_daily_master.json']!['properties']['parameters'] = {
          runDate: { type: 'Date' },
          batch: { type: 'Int', defaultValue: 'one' },
          freshness: { type: 'String', defaultValue: 'enforce' },
        };
      },
      [
        "pipeline/pl_daily_master.json: pl_daily_master parameter 'runDate': parameter 'runDate' has type \"Date\"; use one of String, Int, Float, Bool, Array, Object, SecureString [parameter-type]",
        "pipeline/pl_daily_master.json: pl_daily_master parameter 'batch': parameter 'batch' is declared Int but its defaultValue is \"one\" [parameter-type]",
      ],
    ],
    [
      'batch-count',
      (f) => {
        act(master(f), 'For each mart')['typeProperties']['batchCount'] = 64;
      },
      ["pipeline/pl_daily_master.json: activity 'For each mart': ForEach 'For each mart' has batchCount 64; use a whole number from 1 to 50 [batch-count]"],
    ],
    [
      'missing-pipeline: a trigger starts a pipeline that does not exist',
      (f) => {
        f['trigger/tr_daily_schedule.json']!['properties']['pipelines'][0]['pipelineReference']['referenceName'] = 'pl_daily';
      },
      [
        "trigger/tr_daily_schedule.json: tr_daily_schedule: trigger 'tr_daily_schedule' starts pipeline 'pl_daily', which does not exist (pipelines: pl_daily_master, pl_hourly_master, pl_ingest_dataset, pl_ingest_wave) [missing-pipeline]",
      ],
    ],
    [
      'dynamic-value-form (a): a dataset parameter of an activity as a plain "@…" string',
      (f) => {
        copySource(f)['inputs'][0]['parameters']['fileName'] = '@pipeline().parameters.landingFile';
      },
      [
        'pipeline/pl_ingest_dataset.json: activity \'Copy source to landing\' inputs[0].parameters.fileName: "@pipeline().parameters.landingFile" is a plain string holding an expression; Data Factory Studio writes a dynamic value here as {"value": "@pipeline().parameters.landingFile", "type": "Expression"}: write that (saving in the Studio would rewrite it, and readers of the Studio form such as data-factory-testing-framework take the plain string literally) [dynamic-value-form]',
      ],
    ],
    [
      'dynamic-value-form (a): a stored procedure parameter whose value is a plain "@…" string',
      (f) => {
        act(ingest(f), 'Record ingestion failure')['typeProperties']['storedProcedureParameters']['RunId'] = { value: '@pipeline().RunId', type: 'String' };
      },
      [
        'pipeline/pl_ingest_dataset.json: activity \'Record ingestion failure\' typeProperties.storedProcedureParameters.RunId.value: "@pipeline().RunId" is a plain string holding an expression; Data Factory Studio writes a dynamic value here as {"value": "@pipeline().RunId", "type": "Expression"}: write that (saving in the Studio would rewrite it, and readers of the Studio form such as data-factory-testing-framework take the plain string literally) [dynamic-value-form]',
      ],
    ],
    [
      'dynamic-value-form (a): a dataset location interpolating @{…} in a plain string',
      (f) => {
        f['dataset/ds_mart_extract.json']!['properties']['typeProperties']['location']['folderPath'] = 'extracts/@{dataset().mart}';
      },
      [
        'dataset/ds_mart_extract.json: ds_mart_extract typeProperties location.folderPath: "extracts/@{dataset().mart}" is a plain string holding an expression; Data Factory Studio writes a dynamic value here as {"value": "extracts/@{dataset().mart}", "type": "Expression"}: write that (saving in the Studio would rewrite it, and readers of the Studio form such as data-factory-testing-framework take the plain string literally) [dynamic-value-form]',
      ],
    ],
    [
      'dynamic-value-form (b): a trigger parameter as an Expression object',
      (f) => {
        f['trigger/tr_daily_schedule.json']!['properties']['pipelines'][0]['parameters']['runDate'] = {
          value: "@formatDateTime(addDays(trigger().scheduledTime, -1), 'yyyy-MM-dd')",
          type: 'Expression',
        };
      },
      [
        'trigger/tr_daily_schedule.json: tr_daily_schedule pipeline \'pl_daily_master\' parameters runDate: {"value":"@formatDateTime(addDays(trigger().scheduledTime, -1), \'yyyy-MM-dd\')","type":"Expression"} is an Expression object where Data Factory Studio writes a plain string (a trigger\'s pipeline parameters, a linked service\'s properties): write "@formatDateTime(addDays(trigger().scheduledTime, -1), \'yyyy-MM-dd\')" [dynamic-value-form]',
      ],
    ],
    [
      'dynamic-value-form (b): a linked service property as an Expression object',
      (f) => {
        f['linkedService/ls_key_vault.json']!['properties']['typeProperties']['baseUrl'] = {
          value: "@concat('https://', 'kv-streampulse-dev', '.vault.azure.net/')",
          type: 'Expression',
        };
      },
      [
        "linkedService/ls_key_vault.json: ls_key_vault typeProperties baseUrl: {\"value\":\"@concat('https://', 'kv-streampulse-dev', '.vault.azure.net/')\",\"type\":\"Expression\"} is an Expression object where Data Factory Studio writes a plain string (a trigger's pipeline parameters, a linked service's properties): write \"@concat('https://', 'kv-streampulse-dev', '.vault.azure.net/')\" [dynamic-value-form]",
      ],
    ],
    [
      'dynamic-value-form (c): an Expression object whose value does not start with @',
      (f) => {
        act(wave(f), 'For each dataset')['typeProperties']['items'] = { value: 'pipeline().parameters.datasets', type: 'Expression' };
      },
      [
        'pipeline/pl_ingest_wave.json: activity \'For each dataset\' typeProperties.items: Expression object with value "pipeline().parameters.datasets", which holds no expression (it neither starts with @ nor interpolates @{…}), so Data Factory takes it literally: write {"value": "@<expression>", "type": "Expression"}, or the literal as a plain string [dynamic-value-form]',
      ],
    ],
    [
      'dynamic-value-form (c): an Expression object with an extra key',
      (f) => {
        const run = act(wave(f), 'For each dataset')['typeProperties']['activities'][0];
        run['typeProperties']['parameters']['dataset'] = { value: '@item().dataset', type: 'Expression', note: 'from the manifest' };
      },
      [
        'pipeline/pl_ingest_wave.json: activity \'Ingest dataset\' typeProperties.parameters.dataset: {"value":"@item().dataset","type":"Expression","note":"from the manifest"} is not the Studio\'s Expression object: write exactly {"value": "@…", "type": "Expression"} (the two keys, the value a string) [dynamic-value-form]',
      ],
    ],
  ])('%s', async (_rule, edit, expected) => {
    expect(await problems(broken(edit))).toStrictEqual(expected);
  });

  it('accepts the forms Data Factory Studio writes: an interpolation as an Expression object, literals and @@ escapes as plain strings', async () => {
    const files = broken((f) => {
      act(ingest(f), 'Fail ingestion')['typeProperties']['message'] = {
        value: 'ingestion of @{pipeline().parameters.dataset} for @{pipeline().parameters.runDate} failed',
        type: 'Expression',
      };
      act(ingest(f), 'Fail ingestion')['typeProperties']['errorCode'] = '@@STREAMPULSE ops@example.com';
      f['trigger/tr_hourly_schedule.json']!['properties']['pipelines'][0]['parameters']['freshness'] = 'report';
    });
    expect(await problems(files)).toStrictEqual([]);
  });

  it('reads a factory folder and names a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-adf-'));
    try {
      writeFileSync(join(dir, 'x.txt'), '');
      expect(() => readFactoryDir(dir)).toThrow('has no pipeline/*.json');
      const pl = join(dir, 'pipeline');
      mkdirSync(pl);
      writeFileSync(join(pl, 'p.json'), '{ "name": ');
      expect(() => readFactoryDir(dir)).toThrow('pipeline/p.json is not valid JSON');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
