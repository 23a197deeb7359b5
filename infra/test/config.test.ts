/** The stack config: both stack files validate; every problem names the stack file, the key and a fix. */
import { describe, expect, it } from '@jest/globals';
import { DEPLOY_TIME_STAND_IN, isPlaceholderGuid, parseStackConfig, StackConfigError, withDeployTimeStandIns } from '../src/config.js';
import { budgetStartDate } from '../src/components/observability.js';
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
    expect(parseStackConfig(raw('dev'), 'dev')).toMatchObject({
      env: 'dev',
      sql: { database: { mode: 'serverless' } },
      network: { publicNetworkAccess: true },
    });
    expect(parseStackConfig(raw('prod'), 'prod')).toMatchObject({
      env: 'prod',
      sql: { database: { mode: 'provisioned' } },
      network: { publicNetworkAccess: false },
    });
  });

  it('a Metabase setting the component sets itself (the encryption key, the application database) is refused', () => {
    expect(
      problems(
        'dev',
        patch('streampulse:metabase', (v) => (v['settings'] = { MB_ENCRYPTION_SECRET_KEY: 'plain' })),
      ),
    ).toMatch(/streampulse:metabase\.settings\.MB_ENCRYPTION_SECRET_KEY: .*set by the Metabase component/);
    expect(
      problems(
        'dev',
        patch('streampulse:metabase', (v) => (v['settings'] = { MB_DB_HOST: 'elsewhere' })),
      ),
    ).toMatch(/set by the Metabase component/);
    expect(
      parseStackConfig(
        raw(
          'dev',
          patch('streampulse:metabase', (v) => (v['settings'] = { MB_SITE_LOCALE: 'en' })),
        ),
        'dev',
      ).metabase.settings,
    ).toEqual({
      MB_SITE_LOCALE: 'en',
    });
  });

  it('an unknown key, with a suggestion', () => {
    expect(problems('dev', (c) => (c['streampulse:datafactory'] = '{}'))).toMatch(
      /streampulse:datafactory: unknown key \(did you mean streampulse:dataFactory\?\)/,
    );
  });

  it('a missing block, and a missing field inside one', () => {
    expect(problems('dev', (c) => delete c['streampulse:sql'])).toMatch(/streampulse:sql: is missing/);
    expect(
      problems(
        'dev',
        patch('streampulse:sql', (v) => delete v['adminGroup']),
      ),
    ).toMatch(/streampulse:sql\.adminGroup: is missing/);
  });

  it('invalid values name the key and the rule', () => {
    expect(
      problems(
        'dev',
        patch('streampulse:sql', (v) => ((v['database'] as Record<string, unknown>)['autoPauseDelayMinutes'] = 5)),
      ),
    ).toMatch(/streampulse:sql\.database\.autoPauseDelayMinutes: must be between 60 and 10080/);
    expect(
      problems(
        'dev',
        patch('streampulse:eventHubs', (v) => (v['sku'] = 'Basic')),
      ),
    ).toMatch(/streampulse:eventHubs\.sku: .*Kafka/);
    expect(
      problems(
        'dev',
        patch('streampulse:databricks', (v) => (v['sku'] = 'standard')),
      ),
    ).toMatch(/streampulse:databricks\.sku: must be premium/);
    expect(
      problems(
        'dev',
        patch('streampulse:lake', (v) => (v['archiveAfterDays'] = 3)),
      ),
    ).toMatch(/streampulse:lake\.archiveAfterDays: must be greater than lake\.coolAfterDays/);
  });

  it('isolation needs a VNet and VNet injection', () => {
    expect(
      problems(
        'prod',
        patch('streampulse:network', (v) => delete v['vnet']),
      ),
    ).toMatch(/streampulse:network\.vnet: is required when network\.publicNetworkAccess is false/);
    expect(
      problems(
        'prod',
        patch('streampulse:databricks', (v) => (v['vnetInjection'] = false)),
      ),
    ).toMatch(/streampulse:databricks\.vnetInjection: must be true/);
  });

  it('the env must be the stack, and the stack secret must be set', () => {
    expect(problems('prod', (c) => (c['streampulse:env'] = 'dev'))).toMatch(/streampulse:env: is 'dev' but the stack is 'prod'/);
    expect(problems('dev', (c) => delete c['streampulse:metabaseDbAdminPassword'])).toMatch(/pulumi config set --secret streampulse:metabaseDbAdminPassword/);
  });
});

describe('deploy-time keys, placeholders and the budget start', () => {
  const fileOnly = (stack: string): Record<string, unknown> => {
    // the stack file as committed: no stand-in for the deploy-time key
    const { parse } = require('yaml') as typeof import('yaml');
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    const doc = parse(readFileSync(`${__dirname}/../Pulumi.${stack}.yaml`, 'utf8')) as { config: Record<string, unknown> };
    return {
      ...Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
      'streampulse:metabaseDbAdminPassword': 'x',
    };
  };

  it('the committed stack files hold no admin-group object id: it is a deploy-time key, and its absence names the key, the command and the repository variable', () => {
    for (const stack of ['dev', 'prod']) {
      expect(JSON.stringify(fileOnly(stack))).not.toContain('objectId');
      let message = '';
      try {
        parseStackConfig(fileOnly(stack), stack);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(`streampulse:sql.adminGroup.objectId: is missing`);
      expect(message).toContain(`pulumi config set --path 'streampulse:sql.adminGroup.objectId' <value> --stack ${stack}`);
      expect(message).toContain('SQL_ADMIN_GROUP_OBJECT_ID');
    }
    // the stand-in is what the mocks and preflight use, and it is not a placeholder
    expect(isPlaceholderGuid(DEPLOY_TIME_STAND_IN)).toBe(false);
    expect(parseStackConfig(withDeployTimeStandIns(fileOnly('dev')), 'dev').sql.adminGroup.objectId).toBe(DEPLOY_TIME_STAND_IN);
  });

  it.each(['11111111-1111-1111-1111-111111111111', '00000000-0000-0000-0000-000000000000', 'AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA'])(
    'a placeholder object id (%s) is rejected with the key to set',
    (guid) => {
      expect(
        problems(
          'dev',
          patch('streampulse:sql', (v) => ((v['adminGroup'] as Record<string, unknown>)['objectId'] = guid)),
        ),
      ).toMatch(/streampulse:sql\.adminGroup\.objectId: is a placeholder GUID/);
    },
  );

  it('an RFC 5737 documentation range in the firewall is rejected (it admits nobody)', () => {
    expect(
      problems(
        'dev',
        patch('streampulse:network', (v) => (v['allowedIpRanges'] = ['203.0.113.0/24'])),
      ),
    ).toMatch(/streampulse:network\.allowedIpRanges\[0\]: is an RFC 5737 documentation range/);
  });

  it("the budget starts on the first day of the deploy's month (Azure: inside the current grain); a configured start outside the window is an error naming the key", () => {
    expect(budgetStartDate(new Date('2026-12-05T17:00:00Z'))).toBe('2026-12-01');
    expect(budgetStartDate(new Date('2027-01-31T23:59:59Z'))).toBe('2027-01-01');
    expect(budgetStartDate(new Date('2026-12-05T17:00:00Z'), '2027-03-01')).toBe('2027-03-01');
    for (const bad of ['2026-01-01', '2028-01-01'])
      expect(() => budgetStartDate(new Date('2026-12-05T17:00:00Z'), bad)).toThrow(
        /streampulse:observability\.budget\.startDate is .* outside the window Azure accepts for a new monthly budget \(2026-12-01 to 2027-12-01\)/,
      );
  });
});
