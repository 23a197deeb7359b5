/**
 * `streampulse stream demo` in-process (the consumer runs as the built CLI's child
 * process: `tsc -b` first): its own broker on 127.0.0.1, 300 records (and the re-sends still due at the end), the consumer killed
 * once; exit 0 and the last line of stdout is the summary with lost 0 and duplicated 0.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run } from './run.js';

const TMP = mkdtempSync(join(tmpdir(), 'sp-cli-sdemo-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('stream demo', () => {
  it('ends with one summary line: every record in bronze, nothing lost or duplicated', async () => {
    const r = await run(['stream', 'demo', '--events', '300', '--rate', '150', '--users', '150', '--out', join(TMP, 'lake'), '--seed', 'cli'], { cwd: ROOT });
    expect(r.err).toContain('killed (SIGKILL)');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    // --events is the producer's rate × duration; re-sends still due at its end go out too
    expect(Number(/^events (\d+)/.exec(lines[0]!)![1])).toBeGreaterThanOrEqual(300);
    expect(lines[0]).toMatch(/^events (\d+) · bronze \1 · quarantined \d+ · lost 0 · duplicated 0 · p50 \d+ ms · p99 \d+ ms$/);
  }, 300_000);
});
