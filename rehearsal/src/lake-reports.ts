/** Small readers of what a lake holds, shared by the direct runner path and the Data Factory path. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchReport } from '@streampulse/engine';

/** Every batch report the lake holds (reports/batches/*.json), in date order. */
export function allBatchReports(lakeRoot: string): BatchReport[] {
  const dir = join(lakeRoot, 'reports', 'batches');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as BatchReport);
}
