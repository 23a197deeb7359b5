/**
 * `streampulse stream demo`: the stream end to end (rehearsal/src/stream/demo.ts) — a
 * small lake, a local Kafka broker, N records produced with late and re-sent ones, the
 * consumer killed once mid-way and started again — ending with one line:
 * `events N · bronze N · quarantined Q · lost 0 · duplicated 0 · p50 X ms · p99 Y ms`.
 * Exit 0 only when nothing was lost or duplicated.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { StreamPulseError } from '@streampulse/contracts';
import { runStreamDemo, saltFrom } from '@streampulse/rehearsal';
import type { CliContext } from '../context.js';
import { positiveInt } from './demo.js';
import { runStreamBench, STREAM_BENCH_DEFAULTS, streamBenchLines } from '@streampulse/bench';

/** node and the workspace's built CLI: what the consumer's child processes run. */
function builtCli(ctx: CliContext): string[] {
  const bin = join(ctx.workspaceRoot(), 'cli', 'dist', 'src', 'bin.js');
  if (!existsSync(bin))
    throw new StreamPulseError('STREAM_CLI_NOT_BUILT', `${bin} does not exist: the consumer runs as the built CLI`, {
      remedy: 'run tsc -b (or scripts/setup.sh) first',
    });
  return [process.execPath, bin];
}

interface DemoOpts {
  events: number;
  out?: string;
  users: number;
  rate: number;
  seed: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

export function addStreamDemoCommand(group: Command, ctx: CliContext): void {
  group
    .command('demo')
    .description(
      'the stream end to end: a small lake, a local Kafka broker, N records produced (late and re-sent ones among them) while the consumer reads them, the consumer killed once mid-way and started again; ends with events · bronze · quarantined · lost · duplicated · p50 · p99',
    )
    .option('-n, --events <n>', 'Kafka records to produce (events and re-sends)', positiveInt('--events', 1_000_000), 2000)
    .option('-o, --out <dir>', 'the demo lake (default: <workspace>/out/stream-demo); new, empty, or one the demo made')
    .option('-u, --users <n>', 'accounts of the lake’s simulation', positiveInt('--users', 100_000), 300)
    .option('--rate <n>', 'records a second the producer sends', positiveInt('--rate', 100_000), 200)
    .option('-s, --seed <seed>', 'random seed of the lake and the stream', '42')
    .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
    .option('--no-progress', 'no progress lines on stderr')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
Needs Java 17 and the broker's jars (scripts/setup.sh). The broker listens on 127.0.0.1 only
and is stopped at the end (its folder is kept when the demo fails). lost and duplicated
compare the producer's manifest (<out>/reports/stream/producer-manifest.json) with the
stream's bronze partitions; the latency is event produced → visible in the served mart.
Exit codes: 0 nothing lost or duplicated, 1 otherwise or on failure, 2 usage error.`,
    )
    .action(async (opts: DemoOpts) => {
      ctx.jsonMode = opts.json === true;
      const set = ctx.loadValid(ctx.contractsDir(opts.dir));
      const lake = opts.out !== undefined ? ctx.resolvePath(opts.out) : join(ctx.workspaceRoot(), 'out', 'stream-demo');
      const progress = opts.progress && !ctx.jsonMode;
      const r = await runStreamDemo(set, {
        lakeRoot: lake,
        events: opts.events,
        users: opts.users,
        rate: opts.rate,
        seed: opts.seed,
        salt: saltFrom(ctx.env).salt,
        // the consumer's child processes run the built CLI (tsc -b)
        cli: builtCli(ctx),
        onLine: (line) => {
          if (progress) ctx.stderr(`${line}\n`);
        },
        ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
      });
      const ok = r.lost === 0 && r.duplicated === 0;
      if (ctx.jsonMode) ctx.printJson({ ok, ...r, manifest: undefined });
      else {
        if (progress)
          ctx.stderr(
            `late beyond the watermark: ${r.lateBeyondQuarantined} of ${r.lateBeyond} quarantined as late:beyond_watermark · consumer ${r.killed ? 'killed once and restarted' : 'not killed (too few micro-batches)'}\n`,
          );
        ctx.print(r.line);
      }
      if (!ok)
        throw new StreamPulseError('STREAM_NOT_EXACTLY_ONCE', `${r.lost} record(s) lost and ${r.duplicated} duplicated in bronze`, {
          remedy: `compare ${join(lake, 'reports', 'stream', 'producer-manifest.json')} with the stream's bronze partitions; this is a consumer bug`,
        });
    });
}

interface BenchOpts {
  rate: number;
  duration: number;
  users: number;
  maxBatch: number;
  pollMs: number;
  out?: string;
  seed: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

export function addStreamBenchCommand(group: Command, ctx: CliContext): void {
  group
    .command('bench')
    .description(
      'the streaming benchmark: the producer at a target rate for a fixed time while the consumer keeps the mart current; prints sustained records/s and event → mart latency p50 / p99 against the goal (p99 under 500 ms)',
    )
    .option('--rate <n>', 'records a second the producer sends', positiveInt('--rate', 1_000_000), STREAM_BENCH_DEFAULTS.rate)
    .option('--duration <s>', 'seconds the producer sends for', positiveInt('--duration', 3600), STREAM_BENCH_DEFAULTS.durationS)
    .option('-u, --users <n>', 'accounts of the lake’s simulation', positiveInt('--users', 1_000_000), STREAM_BENCH_DEFAULTS.users)
    .option('--max-batch <n>', 'the consumer’s --max-batch', positiveInt('--max-batch', 1_000_000), STREAM_BENCH_DEFAULTS.maxBatch)
    .option('--poll-ms <n>', 'the consumer’s --poll-ms', positiveInt('--poll-ms', 60_000), STREAM_BENCH_DEFAULTS.pollMs)
    .option('-o, --out <dir>', 'the benchmark lake (default: <workspace>/out/stream-bench); new, empty, or one it made')
    .option('-s, --seed <seed>', 'random seed of the lake and the stream', '42')
    .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
    .option('--no-progress', 'no progress lines on stderr')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', '\nThe goal is printed with met / not met; the exit code does not depend on it.\nExit codes: 0 success, 1 failure, 2 usage error.')
    .action(async (opts: BenchOpts) => {
      ctx.jsonMode = opts.json === true;
      const set = ctx.loadValid(ctx.contractsDir(opts.dir));
      const lake = opts.out !== undefined ? ctx.resolvePath(opts.out) : join(ctx.workspaceRoot(), 'out', 'stream-bench');
      const progress = opts.progress && !ctx.jsonMode;
      const r = await runStreamBench(set, {
        lakeRoot: lake,
        rate: opts.rate,
        durationS: opts.duration,
        users: opts.users,
        maxBatch: opts.maxBatch,
        pollMs: opts.pollMs,
        seed: opts.seed,
        salt: saltFrom(ctx.env).salt,
        cli: builtCli(ctx),
        onLine: (line) => {
          if (progress) ctx.stderr(`${line}\n`);
        },
        ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
      });
      if (ctx.jsonMode) ctx.printJson(r);
      else ctx.print(...streamBenchLines(r));
    });
}
