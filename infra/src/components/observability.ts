/**
 * Observability: the Log Analytics workspace every diagnostic setting writes to, the
 * action group that mails the stack's alert recipients, the alerts (Data Factory
 * pipeline failures; SLA freshness per dataset from the contracts), and a monthly
 * budget on the resource group.
 *
 * The freshness alert is ONE scheduled query, not one per dataset: the contracts'
 * SLAs are a datatable inside the query, joined to the last successful ingestion run
 * of each dataset (the factory's resource-specific ADFPipelineRun table), so a dataset
 * added to contracts/ changes the query, never the number of resources.
 */
import * as pulumi from '@pulumi/pulumi';
import { StreamPulseError } from '@streampulse/contracts';
import * as consumption from '@pulumi/azure-native/consumption/index.js';
import * as monitor from '@pulumi/azure-native/monitor/index.js';
import * as operationalinsights from '@pulumi/azure-native/operationalinsights/index.js';
import type { ContractSet } from '@streampulse/contracts';
import { NAMES } from '@streampulse/pipelines';
import type { Estate } from '../context.js';

/** The KQL of the freshness alert: one row per dataset whose last successful ingestion is older than its SLA. */
export function freshnessQuery(set: ContractSet): string {
  const rows = [...set.datasets]
    .sort((a, b) => (a.dataset < b.dataset ? -1 : 1))
    .map((d) => `  '${d.dataset}', ${d.sla.freshness_hours}`)
    .join(',\n');
  return [
    `let sla = datatable(dataset: string, freshness_hours: real) [`,
    rows,
    `];`,
    `let last_success = ADFPipelineRun`,
    `  | where PipelineName == '${NAMES.plIngest}' and Status == 'Succeeded'`,
    `  | extend dataset = tostring(parse_json(Parameters).dataset)`,
    `  | summarize last_success = max(End) by dataset;`,
    `sla`,
    `| join kind=leftouter last_success on dataset`,
    `| where isnull(last_success) or last_success < ago(1h * freshness_hours)`,
    `| project dataset, freshness_hours, last_success`,
  ].join('\n');
}

export class Observability extends pulumi.ComponentResource {
  readonly workspace: operationalinsights.Workspace;
  readonly actionGroup: monitor.ActionGroup;

  constructor(
    name: string,
    private readonly e: Estate,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super('streampulse:infra:Observability', name, {}, opts);
    const c = e.config;
    const parent = { parent: this };
    this.workspace = new operationalinsights.Workspace(
      `${name}-law`,
      {
        resourceGroupName: e.resourceGroupName,
        location: e.location,
        workspaceName: e.names.dashed('law'),
        sku: { name: 'PerGB2018' },
        retentionInDays: c.observability.logRetentionDays,
        tags: e.tags(),
      },
      parent,
    );
    this.actionGroup = new monitor.ActionGroup(
      `${name}-ag`,
      {
        resourceGroupName: e.resourceGroupName,
        location: 'global',
        actionGroupName: e.names.dashed('ag-data'),
        groupShortName: `spulse${c.env}`.slice(0, 12),
        enabled: true,
        emailReceivers: c.observability.alertEmails.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
        tags: e.tags(),
      },
      parent,
    );
    const b = c.observability.budget;
    new consumption.Budget(
      `${name}-budget`,
      {
        scope: e.resourceGroupId,
        budgetName: e.names.dashed('budget'),
        amount: b.amount,
        category: 'Cost',
        timeGrain: 'Monthly',
        // Azure requires the start inside the current time grain (month) when the budget is
        // created, and refuses to move it later: computed at deploy, then left alone.
        timePeriod: { startDate: `${budgetStartDate(e.now, b.startDate)}T00:00:00Z` },
        notifications: Object.fromEntries(
          b.thresholds.map((t) => [
            `actual-${t}pct`,
            {
              enabled: true,
              operator: 'GreaterThanOrEqualTo',
              threshold: t,
              thresholdType: 'Actual',
              contactEmails: c.observability.alertEmails,
              contactGroups: [this.actionGroup.id],
            },
          ]),
        ),
      },
      { ...parent, ignoreChanges: ['timePeriod.startDate'] },
    );
    this.registerOutputs({ workspaceId: this.workspace.id });
  }

  /** The alerts on the data factory: any failed pipeline run, and datasets past their contract SLA. */
  alerts(factoryId: pulumi.Input<string>): void {
    const e = this.e;
    const parent = { parent: this };
    new monitor.MetricAlert(
      'alert-pipeline-failed',
      {
        resourceGroupName: e.resourceGroupName,
        location: 'global',
        ruleName: e.names.dashed('alert-adf-failed'),
        description: 'A Data Factory pipeline run failed (the daily master or a dataset ingestion). See the factory monitor and the ops.pipeline_run table.',
        severity: 1,
        enabled: true,
        scopes: [factoryId],
        evaluationFrequency: 'PT5M',
        windowSize: 'PT15M',
        autoMitigate: true,
        criteria: {
          odataType: 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
          allOf: [
            {
              criterionType: 'StaticThresholdCriterion',
              name: 'failed-runs',
              metricName: 'PipelineFailedRuns',
              metricNamespace: 'Microsoft.DataFactory/factories',
              operator: 'GreaterThan',
              threshold: 0,
              timeAggregation: 'Total',
            },
          ],
        },
        actions: [{ actionGroupId: this.actionGroup.id }],
        tags: e.tags(),
      },
      parent,
    );
    new monitor.ScheduledQueryRule(
      'alert-sla-freshness',
      {
        resourceGroupName: e.resourceGroupName,
        location: e.location,
        ruleName: e.names.dashed('alert-sla-freshness'),
        displayName: 'StreamPulse dataset past its freshness SLA',
        description: "A dataset's last successful ingestion is older than the freshness_hours of its contract's SLA.",
        severity: 2,
        enabled: true,
        kind: 'LogAlert',
        scopes: [this.workspace.id],
        evaluationFrequency: 'PT1H',
        windowSize: 'P2D',
        criteria: {
          allOf: [
            {
              query: freshnessQuery(e.set),
              timeAggregation: 'Count',
              operator: 'GreaterThan',
              threshold: 0,
              dimensions: [{ name: 'dataset', operator: 'Include', values: ['*'] }],
              failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
            },
          ],
        },
        actions: { actionGroups: [this.actionGroup.id] },
        tags: e.tags(),
      },
      parent,
    );
  }
}

/** The start dates Azure accepts for a new monthly budget at `now`: the first day of the current month (UTC) up to 12 months ahead. */
export function budgetStartWindow(now: Date): { readonly earliest: string; readonly latest: string } {
  const month = (y: number, m: number): string => `${String(y).padStart(4, '0')}-${String(m + 1).padStart(2, '0')}-01`;
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return { earliest: month(y, m), latest: month(y + 1, m) };
}

/**
 * The budget's start date (`YYYY-MM-01`). Azure Cost Management requires a monthly
 * budget to start on the first day of a month, no earlier than the current month, and
 * at most 12 months ahead. Default: the first day of the current month (UTC) at deploy.
 * A configured date outside that window is a config error naming the key.
 */
export function budgetStartDate(now: Date, configured?: string): string {
  const { earliest: current, latest } = budgetStartWindow(now);
  if (configured === undefined) return current;
  if (configured < current || configured > latest)
    throw new StreamPulseError(
      'INFRA_BUDGET_START',
      `streampulse:observability.budget.startDate is ${configured}, outside the window Azure accepts for a new monthly budget (${current} to ${latest})`,
      {
        remedy: `Remove streampulse:observability.budget.startDate to start the budget in the current month (${current}), or set a first day of a month from ${current} to ${latest}.`,
      },
    );
  return configured;
}
