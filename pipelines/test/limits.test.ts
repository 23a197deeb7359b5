/**
 * Data Factory's documented service limits (limits.ts): the golden factory is within every
 * one; then one factory per limit, made from the golden factory by one edit that crosses
 * exactly that limit, each rejected with the limit and its source named. Azure is not
 * reachable here: these encode the documented limits ('Azure subscription and service
 * limits' › 'Azure Data Factory limits'; the Lookup activity's documented output limits).
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { FACTORY_LIMITS, formatProblem, limitProblems, readFactoryDir, validateFactory, type LimitRule } from '@streampulse/pipelines';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const golden = readFactoryDir(join(ROOT, 'pipelines', 'test', 'golden', 'adf'));

// biome-ignore lint/suspicious/noExplicitAny: the test edits generated JSON documents of any shape
type Doc = Record<string, any>;
function edited(edit: (files: Record<string, Doc>) => void): Record<string, unknown> {
  const files = JSON.parse(JSON.stringify(golden)) as Record<string, Doc>;
  edit(files);
  return files;
}
const rules = (files: Record<string, unknown>): LimitRule[] => [...new Set(limitProblems(files).map((p) => p.rule))];
const manifest = (f: Record<string, Doc>): Doc => f['control/manifest.json']!;
const aDataset = (f: Record<string, Doc>): Doc => manifest(f)['waves'][0][0];

describe('Data Factory service limits (documented; Azure not reachable here)', () => {
  it('the golden factory and its control manifest are within every limit', () => {
    expect(limitProblems(golden)).toStrictEqual([]);
  });

  it('rejects more than 5,000 entities in a factory (total entities per factory)', () => {
    const files = edited((f) => {
      const ds = f['dataset/ds_control_file.json']!;
      const n = Object.keys(f).filter((p) => /^(pipeline|dataset|linkedService|trigger)\//.test(p)).length;
      for (let i = 0; i <= 5000 - n; i++) f[`dataset/extra_${i}.json`] = { ...ds, name: `extra_${i}` };
    });
    const p = limitProblems(files);
    expect(p.map(formatProblem)).toStrictEqual([
      `factory: entities: the factory’s entity count is 5,001 entities; Data Factory allows at most 5,000 entities (${FACTORY_LIMITS['entity-limit'].what}; ${FACTORY_LIMITS['entity-limit'].source}) [entity-limit]`,
    ]);
  });

  it('rejects a pipeline with more than 50 parameters (parameters per pipeline)', () => {
    const files = edited((f) => {
      const params = f['pipeline/pl_ingest_dataset.json']!['properties']['parameters'];
      for (let i = 0; Object.keys(params).length <= 50; i++) params[`extra_${i}`] = { type: 'String', defaultValue: '' };
    });
    expect(limitProblems(files).map(formatProblem)).toStrictEqual([
      `pipeline/pl_ingest_dataset.json: parameters: the pipeline’s parameter count is 51 parameters; Data Factory allows at most 50 parameters (maximum parameters per pipeline; ${FACTORY_LIMITS['parameter-limit'].source}) [parameter-limit]`,
    ]);
  });

  it('rejects a pipeline object over 200 KB (bytes per object for pipeline objects)', () => {
    const files = edited((f) => {
      f['pipeline/pl_daily_master.json']!['properties']['description'] = 'x'.repeat(200 * 1024);
    });
    expect(rules(files)).toStrictEqual(['pipeline-size-limit']);
    expect(limitProblems(files)[0]!.message).toMatch(/^the pipeline object \(compact JSON\) is 2\d\d,\d{3} bytes; Data Factory allows at most 204,800 bytes/);
  });

  it('rejects a dataset or linked service object over 100 KB (bytes per object for dataset and linked service objects)', () => {
    const files = edited((f) => {
      const ls = Object.keys(f).find((p) => p.startsWith('linkedService/'))!;
      f[ls]!['properties']['description'] = 'x'.repeat(100 * 1024);
    });
    expect(rules(files)).toStrictEqual(['entity-size-limit']);
  });

  it('rejects an expression longer than 8,192 characters (characters per expression)', () => {
    const files = edited((f) => {
      f['pipeline/pl_daily_master.json']!['properties']['activities'][0]['description'] = `@concat('${'x'.repeat(8192)}')`;
    });
    expect(rules(files)).toStrictEqual(['expression-limit']);
    expect(limitProblems(files)[0]!.where).toBe('properties.activities[0].description');
  });

  it('rejects a manifest wave of more than 100,000 datasets (ForEach items)', () => {
    const files = edited((f) => {
      const d = aDataset(f);
      manifest(f)['waves'] = [Array.from({ length: 100_001 }, () => ({ dataset: d.dataset }))];
    });
    expect(limitProblems(files).map((p) => `${p.where} ${p.rule}`)).toStrictEqual(['waves[0] foreach-items-limit', 'waves[0] payload-limit']);
  });

  it('rejects a manifest Lookup output over 4 MB (Lookup activity output size)', () => {
    const files = edited((f) => {
      manifest(f)['datasets'] = Array.from({ length: 20_000 }, (_, i) => ({ ...aDataset(f), dataset: `d_${i}` }));
    });
    expect(rules(files)).toStrictEqual(['lookup-size-limit']);
  });

  it('rejects a manifest of more than 5,000 rows (Lookup activity item count)', () => {
    const files = edited((f) => {
      f['control/manifest.json'] = Array.from({ length: 5001 }, () => ({}));
    });
    expect(rules(files)).toStrictEqual(['lookup-rows-limit']);
  });

  it('rejects a wave whose Execute Pipeline parameters exceed 896 KB (bytes per payload for each activity run)', () => {
    const files = edited((f) => {
      manifest(f)['waves'][0] = Array.from({ length: 4000 }, (_, i) => ({ ...aDataset(f), dataset: `d_${i}` }));
    });
    expect(rules(files)).toStrictEqual(['payload-limit']);
  });

  it('validateFactory reports the limits with the other rules', async () => {
    const files = edited((f) => {
      const params = f['pipeline/pl_ingest_wave.json']!['properties']['parameters'];
      for (let i = 0; Object.keys(params).length <= 50; i++) params[`extra_${i}`] = { type: 'String', defaultValue: '' };
    });
    const p = await validateFactory(files);
    expect(p.map((x) => `${x.file} ${x.rule}`)).toStrictEqual(['pipeline/pl_ingest_wave.json parameter-limit']);
  });
});
