/** The ADF git-layout → azure-native mapping and the Jobs API → Databricks provider mapping, on small inputs. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AdfMappingError, adfEntities, flattenTypeProperties, mapActivity } from '../src/adf-mapping.js';
import { cidrRange } from '../src/components/sql.js';
import { landingPrefix } from '../src/components/data-lake.js';
import { stableGuid } from '../src/naming.js';

describe('ADF mapping', () => {
  it('flattens typeProperties into the entity', () => {
    expect(flattenTypeProperties({ type: 'AzureBlobFS', description: 'd', typeProperties: { url: 'https://x/' } }, 'ls')).toEqual({
      type: 'AzureBlobFS',
      description: 'd',
      url: 'https://x/',
    });
  });

  it('flattens nested activities of ForEach, If and Switch', () => {
    const wait = { name: 'w', type: 'Wait', typeProperties: { waitTimeInSeconds: 1 } };
    const a = mapActivity(
      {
        name: 'f',
        type: 'ForEach',
        typeProperties: {
          items: { value: '@x', type: 'Expression' },
          activities: [{ name: 'i', type: 'IfCondition', typeProperties: { expression: { value: '@true', type: 'Expression' }, ifTrueActivities: [wait] } }],
        },
      },
      'p',
    );
    expect(a).toEqual({
      name: 'f',
      type: 'ForEach',
      items: { value: '@x', type: 'Expression' },
      activities: [
        {
          name: 'i',
          type: 'IfCondition',
          expression: { value: '@true', type: 'Expression' },
          ifTrueActivities: [{ name: 'w', type: 'Wait', waitTimeInSeconds: 1 }],
        },
      ],
    });
    expect(
      mapActivity({ name: 's', type: 'Switch', typeProperties: { cases: [{ value: 'a', activities: [wait] }], defaultActivities: [wait] } }, 'p'),
    ).toMatchObject({ cases: [{ value: 'a', activities: [{ waitTimeInSeconds: 1 }] }], defaultActivities: [{ waitTimeInSeconds: 1 }] });
  });

  it('a key in typeProperties and beside it is an error, except the AzureSqlTable schema (expressed as tableName)', () => {
    expect(() => flattenTypeProperties({ type: 'Json', schema: {}, typeProperties: { schema: 'x' } }, 'dataset/x.json')).toThrow(AdfMappingError);
    expect(
      flattenTypeProperties(
        { type: 'AzureSqlTable', schema: [], typeProperties: { schema: 'staging', table: { value: '@dataset().t', type: 'Expression' } } },
        'd',
      ),
    ).toEqual({
      type: 'AzureSqlTable',
      schema: [],
      tableName: { value: "@concat('[', 'staging', '].[', dataset().t, ']')", type: 'Expression' },
    });
  });

  it("drops a trigger's read-only runtimeState and keeps the pipeline's own arguments", () => {
    const [trigger, pipeline] = adfEntities({
      files: {
        'trigger/t.json': { name: 't', properties: { type: 'ScheduleTrigger', runtimeState: 'Started', typeProperties: { recurrence: { frequency: 'Day' } } } },
        'pipeline/p.json': { name: 'p', properties: { description: 'x', activities: [{ name: 'w', type: 'Wait', typeProperties: { waitTimeInSeconds: 1 } }] } },
        'control/manifest.json': { datasets: [] },
      },
    });
    expect(trigger).toEqual({
      kind: 'trigger',
      name: 't',
      path: 'trigger/t.json',
      args: { properties: { type: 'ScheduleTrigger', recurrence: { frequency: 'Day' } } },
    });
    expect(pipeline?.args).toEqual({ description: 'x', activities: [{ name: 'w', type: 'Wait', waitTimeInSeconds: 1 }] });
  });
});

describe('helpers', () => {
  it('CIDR ranges, landing prefixes, stable GUIDs', () => {
    expect(cidrRange('10.1.2.3/24')).toEqual({ start: '10.1.2.0', end: '10.1.2.255' });
    expect(cidrRange('203.0.113.7/32')).toEqual({ start: '203.0.113.7', end: '203.0.113.7' });
    expect(landingPrefix('a/b/{date}/c.jsonl')).toBe('a/b/');
    expect(stableGuid('dev', 'x')).toBe(stableGuid('dev', 'x'));
    expect(stableGuid('dev', 'x')).not.toBe(stableGuid('prod', 'x'));
    expect(stableGuid('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('deploy workflow', () => {
  it('on merge to main: the tests, then pulumi up per stack (deploy-stack.yml), dev before prod', () => {
    const wf = parse(readFileSync(join(__dirname, '..', '..', '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
      on: { push: { branches: string[] } };
      jobs: Record<string, { needs?: string | string[]; uses?: string; with?: Record<string, string>; steps?: { run?: string }[] }>;
    };
    expect(wf.on.push.branches).toEqual(['main']);
    expect(wf.jobs['test']!.steps!.some((s) => s.run === 'bash .ci/run')).toBe(true);
    expect(wf.jobs['dev']).toMatchObject({ needs: 'test', uses: './.github/workflows/deploy-stack.yml', with: { stack: 'dev' } });
    expect(wf.jobs['prod']).toMatchObject({ uses: './.github/workflows/deploy-stack.yml', with: { stack: 'prod' } });
    expect(wf.jobs['prod']!.needs).toEqual(expect.arrayContaining(['dev']));
    const stack = parse(readFileSync(join(__dirname, '..', '..', '.github', 'workflows', 'deploy-stack.yml'), 'utf8')) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const runs = Object.values(stack.jobs)
      .flatMap((j) => j.steps.map((s) => s.run ?? ''))
      .join('\n');
    expect(runs).toContain('pulumi up --yes --stack "$STACK"');
    expect(runs.indexOf('trigger stop')).toBeLessThan(runs.indexOf('pulumi up'));
    expect(runs.indexOf('pulumi up')).toBeLessThan(runs.indexOf('trigger start'));
  });
});
