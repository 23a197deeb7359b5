/**
 * `streampulse stream demo` and the streaming benchmark's machinery (rehearsal/src/stream/demo.ts)
 * at a small scale: each starts its own local broker (127.0.0.1), produces with the
 * producer, runs the consumer as the built CLI's child process (`tsc -b` first) and stops
 * the broker. The demo kills the consumer once mid-way; nothing may be lost or duplicated,
 * and every record sent late beyond the watermark is quarantined with its reason. The
 * benchmark's figures are printed, never asserted on time.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { LOCAL_DEMO_SALT, runStreamDemo } from '@streampulse/rehearsal';

const ROOT = process.cwd();
const CLI = [process.execPath, join(ROOT, 'cli', 'dist', 'src', 'bin.js')];
const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
const tmp = (p: string): string => join(mkdtempSync(join(tmpdir(), `sp-sdemo-${p}-`)), 'lake');

describe('stream demo', () => {
  it('kills the consumer once mid-way and still lands every record exactly once', async () => {
    const lake = tmp('demo');
    const lines: string[] = [];
    const r = await runStreamDemo(set, {
      lakeRoot: lake,
      events: 400,
      rate: 200,
      users: 150,
      seed: 'sdemo',
      salt: LOCAL_DEMO_SALT,
      cli: CLI,
      onLine: (l) => lines.push(l),
    });
    expect(r.killed).toBe(true);
    expect(lines.some((l) => l.includes('FAULT after-bronze-commit'))).toBe(true);
    expect(r.events).toBe(r.manifest.records);
    expect(r.bronze).toBe(r.events);
    expect([r.lost, r.duplicated]).toEqual([0, 0]);
    expect(r.lateBeyond).toBeGreaterThan(0);
    expect(r.lateBeyondQuarantined).toBe(r.lateBeyond);
    expect(r.quarantined).toBeGreaterThanOrEqual(r.lateBeyond);
    expect(r.line).toMatch(/^events (\d+) · bronze \1 · quarantined \d+ · lost 0 · duplicated 0 · p50 \d+ ms · p99 \d+ ms$/);
    // the broker's folder is gone (stopped, not failed); the stream's partitions are there
    expect(lines.some((l) => /kept/.test(l))).toBe(false);
    expect(readdirSync(join(lake, 'bronze', r.manifest.topics[0]!.dataset)).some((d) => d.includes('T'))).toBe(true);
    expect(existsSync(join(lake, 'reports', 'stream', 'producer-manifest.json'))).toBe(true);
  }, 300_000);

  it('without the kill (the benchmark machinery): every record once, figures measured', async () => {
    const lake = tmp('bench');
    const r = await runStreamDemo(set, {
      lakeRoot: lake,
      events: 300,
      rate: 150,
      users: 150,
      seed: 'sbench',
      salt: LOCAL_DEMO_SALT,
      cli: CLI,
      kill: false,
      late: 0.02,
      dupes: 0.02,
      maxBatch: 5000,
    });
    expect(r.killed).toBe(false);
    expect([r.lost, r.duplicated]).toEqual([0, 0]);
    expect(r.batches).toBeGreaterThan(0);
    expect(r.sustainedPerSecond).toBeGreaterThan(0);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
  }, 300_000);
});
