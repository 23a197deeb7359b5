/** The stack config: both stack files validate; every problem names the stack file, the key and a fix. */
import { describe, expect, it } from '@jest/globals';
import { parseStackConfig, StackConfigError } from '../src/config.js';
import { stackConfig } from './harness.js';

const raw = (stack: string, edit?: (c: Record<string, unknown>) => void): Record<string, unknown> => {
  const c: Record<string, unknown> = { ...stackConfig(stack), 'streampulse:metabaseDbAdminPassword': 'x' };
  edit?.(c);
  return c;
};
const problems = (stack: string, edit: (c: Record<string, unknown>) => void): string => {
  try {
    parseStackConfig(raw(stack, edit), stack);
  } catch (e) {
    expect(e).toBeInstanceOf(StackConfigError);
    const err = e as StackConfigError;
    expect(err.code).toBe('INFRA_CONFIG_INVALID');
    expect(err.message).toContain(`infra/Pulumi.${stack}.yaml`);
    expect(err.remedy).toContain(`--stack ${stack}`);
    return err.message;
  }
  throw new Error('expected a StackConfigError');
};
const patch = (key: string, f: (v: Record<string, unknown>) => void) => (c: Record<string, unknown>) => {
  const v = JSON.parse(String(c[key])) as Record<string, unknown>;
  f(v);
  c[key] = JSON.stringify(v);
};

describe('stack config', () => {
  it('Pulumi.dev.yaml and Pulumi.prod.yaml validate', () => {
    expect(parseStackConfig(raw('dev'), 'dev')).toMatchObject({ env: 'dev', sql: { database: { mode: 'serverless' } }, network: { publicNetworkAccess: true } });
    expect(parseStackConfig(raw('prod'), 'prod')).toMatchObject({ env: 'prod', sql: { database: { mode: 'provisioned' } }, network: { publicNetworkAccess: false } });
  });

  it('an unknown key, with a suggestion', () => {
    expect(problems('dev', (c) => (c['streampulse:datafactory'] = '{}'))).toMatch(/streampulse:datafactory: unknown key \(did you mean streampulse:dataFactory\?\)/);
  });

  it('a missing block, and a missing field inside one', () => {
    expect(problems('dev', (c) => delete c['streampulse:sql'])).toMatch(/streampulse:sql: is missing/);
    expect(problems('dev', patch('streampulse:sql', (v) => delete v['adminGroup']))).toMatch(/streampulse:sql\.adminGroup: is missing/);
  });

  it('invalid values name the key and the rule', () => {
    expect(problems('dev', patch('streampulse:sql', (v) => ((v['database'] as Record<string, unknown>)['autoPauseDelayMinutes'] = 5)))).toMatch(/streampulse:sql\.database\.autoPauseDelayMinutes: must be between 60 and 10080/);
    expect(problems('dev', patch('streampulse:eventHubs', (v) => (v['sku'] = 'Basic')))).toMatch(/streampulse:eventHubs\.sku: .*Kafka/);
    expect(problems('dev', patch('streampulse:databricks', (v) => (v['sku'] = 'standard')))).toMatch(/streampulse:databricks\.sku: must be premium/);
    expect(problems('dev', patch('streampulse:lake', (v) => (v['archiveAfterDays'] = 3)))).toMatch(/streampulse:lake\.archiveAfterDays: must be greater than lake\.coolAfterDays/);
  });

  it('isolation needs a VNet and VNet injection', () => {
    expect(problems('prod', patch('streampulse:network', (v) => delete v['vnet']))).toMatch(/streampulse:network\.vnet: is required when network\.publicNetworkAccess is false/);
    expect(problems('prod', patch('streampulse:databricks', (v) => (v['vnetInjection'] = false)))).toMatch(/streampulse:databricks\.vnetInjection: must be true/);
  });

  it('the env must be the stack, and the stack secret must be set', () => {
    expect(problems('prod', (c) => (c['streampulse:env'] = 'dev'))).toMatch(/streampulse:env: is 'dev' but the stack is 'prod'/);
    expect(problems('dev', (c) => delete c['streampulse:metabaseDbAdminPassword'])).toMatch(/pulumi config set --secret streampulse:metabaseDbAdminPassword/);
  });
});
