/**
 * `streampulse stream produce` in-process: against a real Kafka broker on 127.0.0.1
 * (rehearsal's kafkaBrokerFixture), and its refusals — none of which connects anywhere
 * or prints a connection string.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaBrokerFixture } from '@streampulse/rehearsal';
import { ROOT, run } from './run.js';

const kafka = kafkaBrokerFixture();
beforeAll(kafka.start, 180_000);
afterAll(kafka.stop, 60_000);
const TMP = mkdtempSync(join(tmpdir(), 'sp-cli-produce-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SECRET = 'S3cr3tK3yN0tT0B3Pr1nt3d0123456789abcdefXY=';
const csFor = (ns: string, extra = ''): string => `Endpoint=sb://${ns}.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${SECRET}${extra}`;

describe('stream produce', () => {
  it('sends --rate × --duration records to the contracts’ topics and writes the manifest', async () => {
    const manifest = join(TMP, 'm.json');
    const r = await run(
      [
        'stream',
        'produce',
        '--bootstrap',
        kafka.broker.bootstrap,
        '--rate',
        '300',
        '--duration',
        '1',
        '--late',
        '0.1',
        '--dupes',
        '0.05',
        '--seed',
        '9',
        '--manifest',
        manifest,
        '--json',
      ],
      {
        cwd: ROOT,
      },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { records: number; events: number; duplicates: number; topics: { topic: string; records: number }[]; target: string };
    expect(summary.records).toBeGreaterThanOrEqual(300);
    expect(summary.records).toBe(summary.events + summary.duplicates);
    expect(summary.target).toBe(`Kafka ${kafka.broker.bootstrap} (PLAINTEXT)`);
    expect(JSON.parse(readFileSync(manifest, 'utf8'))).toEqual(summary);
  }, 120_000);

  it('prints one line per topic and progress on stderr', async () => {
    const r = await run(['stream', 'produce', '--bootstrap', kafka.broker.bootstrap, '--rate', '200', '--duration', '1'], { cwd: ROOT });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^stream produce: \d+ records to Kafka 127\.0\.0\.1:\d+ \(PLAINTEXT\)/);
    expect(r.out).toMatch(/records .* events .*\(key /);
    expect(r.err).toMatch(/stream produce: \d+\/200 records/);
  }, 120_000);

  it('stops at the abort signal (SIGINT / SIGTERM in bin.ts) after the send in flight, reporting what was sent', async () => {
    const manifest = join(TMP, 'interrupted.json');
    const interrupt = new AbortController();
    const running = run(
      ['stream', 'produce', '--bootstrap', kafka.broker.bootstrap, '--rate', '50', '--duration', '60', '--manifest', manifest, '--no-progress'],
      {
        cwd: ROOT,
        signal: interrupt.signal,
      },
    );
    await new Promise((r) => setTimeout(r, 5000));
    interrupt.abort(new Error('stop'));
    const r = await running;
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/^stream produce: interrupted after \d+ records/);
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { interrupted: boolean; records: number };
    expect(m.interrupted).toBe(true);
    expect(m.records).toBeGreaterThan(0);
    expect(m.records).toBeLessThan(3000);
  }, 120_000);

  it('needs exactly one target', async () => {
    const none = await run(['stream', 'produce', '--rate', '1', '--duration', '1'], { cwd: ROOT });
    expect(none.code).toBe(1);
    expect(none.err).toContain('STREAM_NO_TARGET');
    const both = await run(
      ['stream', 'produce', '--rate', '1', '--duration', '1', '--bootstrap', '127.0.0.1:1', '--event-hubs-namespace', 'evhns-streampulse-dev'],
      { cwd: ROOT },
    );
    expect(both.code).toBe(1);
    expect(both.err).toContain('STREAM_NO_TARGET');
  });

  it('usage errors: a share above 1, a rate of 0, a bootstrap without a port (exit 2)', async () => {
    for (const args of [
      ['--late', '2'],
      ['--dupes', 'x'],
      ['--rate', '0'],
      ['--bootstrap', '127.0.0.1'],
    ]) {
      const r = await run(['stream', 'produce', '--rate', '1', '--duration', '1', ...args], { cwd: ROOT });
      expect(r.code).toBe(2);
    }
  });

  it('an Event Hubs connection string is read from the environment and never printed, whatever goes wrong', async () => {
    const missing = await run(
      ['stream', 'produce', '--rate', '1', '--duration', '1', '--event-hubs-namespace', 'evhns-streampulse-dev', '--connection-string-env', 'EH_CS'],
      {
        cwd: ROOT,
        env: {},
      },
    );
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('STREAM_CONNECTION_STRING_MISSING');
    const cases: [Record<string, string>, string][] = [
      [{ EH_CS: csFor('evhns-someone-else') }, 'STREAM_BAD_CONNECTION_STRING'], // another namespace's string
      [{ EH_CS: csFor('evhns-streampulse-dev', ';EntityPath=player_watch_events') }, 'STREAM_CONNECTION_STRING_SCOPE'], // one hub only
    ];
    for (const [env, code] of cases) {
      for (const json of [[], ['--json']]) {
        const r = await run(
          [
            'stream',
            'produce',
            '--rate',
            '1',
            '--duration',
            '1',
            '--event-hubs-namespace',
            'evhns-streampulse-dev',
            '--connection-string-env',
            'EH_CS',
            ...json,
          ],
          { cwd: ROOT, env },
        );
        expect(r.code).toBe(1);
        expect(`${r.out}${r.err}`).toContain(code);
        expect(`${r.out}${r.err}`).not.toContain(SECRET);
        expect(`${r.out}${r.err}`).not.toContain('SharedAccessKey=');
      }
    }
  }, 60_000);

  it('--lake needs a lake with landing files', async () => {
    const r = await run(['stream', 'produce', '--rate', '1', '--duration', '1', '--bootstrap', '127.0.0.1:1', '--lake', TMP], { cwd: ROOT });
    expect(r.code).toBe(1);
    expect(r.err).toContain('STREAM_LAKE_MANIFEST_MISSING');
  });
});
