/**
 * The `dbt` target's files (dbt_project.yml, profiles.yml, models/sources.yml,
 * models/exposures.yml, macros/streampulse_tests.sql) from the shipped contracts: golden
 * files under cli/test/golden/dbt (UPDATE_GOLDEN=1 rewrites them; review the diff). The
 * generator's behaviour is tested in sql/test/dbt-project.test.ts; the real dbt parses and
 * runs these files in tests/test/dbt.test.ts and jobs/python/tests/test_dbt_project.py.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { dbtProjectFiles } from '../src/generate/targets.js';
import { ROOT } from './run.js';

const GOLDEN = join(ROOT, 'cli', 'test', 'golden', 'dbt');

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

describe('the dbt target', () => {
  it('matches the golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    const files = dbtProjectFiles(loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR)));
    if (process.env['UPDATE_GOLDEN'] === '1') {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(dirname(join(GOLDEN, p)), { recursive: true });
        writeFileSync(join(GOLDEN, p), text);
      }
    }
    expect(existsSync(GOLDEN)).toBe(true);
    const golden = Object.fromEntries(
      walk(GOLDEN)
        .sort()
        .map((f) => [relative(GOLDEN, f).split(sep).join('/'), readFileSync(f, 'utf8')]),
    );
    expect(Object.keys(files).sort()).toStrictEqual(Object.keys(golden));
    for (const [p, text] of Object.entries(files)) expect(text).toBe(golden[p]);
  });
});
