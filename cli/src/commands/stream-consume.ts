/**
 * `streampulse stream run`: the local stream consumer (rehearsal/src/stream/consumer.ts)
 * — the contracts' stream topics in micro-batches into the lake, exactly once, and the
 * marts marked `stream_refresh` kept current in the SQLite serving database.
 * `stream demo` is in stream-demo.ts. Both are added to the `stream` group.
 */
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { percentile, runStreamConsumer, saltFrom, type StreamEvent } from '@streampulse/rehearsal';
import type { CliContext } from '../context.js';
import { freshnessMode, positiveInt } from './demo.js';
import { produceTarget } from './stream-produce.js';
import type { FreshnessMode } from '@streampulse/jobs';

export function hostPort(v: string): string {
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not host:port`);
  return v;
}

interface RunOpts {
  bootstrap?: string;
  eventHubsNamespace?: string;
  connectionStringEnv?: string;
  lake?: string;
  db?: string;
  maxBatch: number;
  pollMs: number;
  once?: boolean;
  untilIdle?: number;
  mart?: string[];
  group: string;
  freshness?: FreshnessMode;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

/** One line per micro-batch (progress), on stderr. */
export function describeStreamEvent(e: StreamEvent): string {
  if (e.kind === 'start')
    return `stream: topics ${e.topics.join(', ')}; ${e.resumedFrom === null ? 'no committed micro-batch: from the earliest offsets' : `resuming after ${e.resumedFrom}`}${e.discarded.length > 0 ? `; removed ${e.discarded.length} uncommitted micro-batch(es)` : ''}`;
  if (e.kind === 'ready') return 'stream: reading';
  if (e.kind === 'batch')
    return `micro-batch ${e.batch}: ${e.records} records → bronze ${e.bronze}, quarantined ${e.quarantined}, duplicates ${e.duplicates} · lake ${(e.seconds.lake * 1000).toFixed(0)} ms, marts ${(e.seconds.marts * 1000).toFixed(0)} ms`;
  return `stream: stopped (${e.reason}) after ${e.batches} micro-batch(es), ${e.records} records`;
}

export function addStreamRunCommand(group: Command, ctx: CliContext): void {
  group
    .command('run')
    .description(
      'consume the contracts’ stream topics in micro-batches into bronze and silver (the daily batch’s jobs, exactly once: offsets committed in the lake with the batch) and keep the stream_refresh marts current in the SQLite serving database',
    )
    .option('--bootstrap <host:port>', 'a Kafka broker (PLAINTEXT)', hostPort)
    .option(
      '--event-hubs-namespace <ns>',
      'or an Azure Event Hubs namespace: its Kafka endpoint <ns>.servicebus.windows.net:9093 (SASL_SSL); Microsoft Entra ID sign-in unless --connection-string-env',
    )
    .option('--connection-string-env <var>', 'the environment variable holding the namespace’s connection string (SASL PLAIN); never printed')
    .option('--lake <dir>', 'the lake folder (default: <workspace>/out/demo)')
    .option('--db <file>', 'the SQLite serving database (default: <lake>/serving/streampulse.sqlite)')
    .option('--max-batch <n>', 'most records in one micro-batch', positiveInt('--max-batch', 1_000_000), 5000)
    .option('--poll-ms <n>', 'a micro-batch is cut this many ms after the previous one (at once when that took longer)', positiveInt('--poll-ms', 600_000), 200)
    .option('--once', 'stop once every record on the topics when the run started is committed')
    .option('--until-idle <s>', 'stop after this many seconds without a record', positiveInt('--until-idle', 86_400))
    .option('--mart <name...>', 'the marts kept current (default: the contracts’ marts with stream_refresh: true)')
    .option('--group <id>', 'the consumer group whose offsets are committed after each micro-batch', 'streampulse-local')
    .option('--freshness <mode>', 'enforce | report: whether a failed freshness rule with action fail stops a micro-batch', freshnessMode)
    .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
    .option('--no-progress', 'no progress lines on stderr')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
The lake must hold the datasets the streamed ones check references against (streampulse demo
or run first). Without --once or --until-idle the consumer runs until SIGINT / SIGTERM.
Exit codes: 0 success, 1 failure, 2 usage error, 130 / 143 interrupted.`,
    )
    .action(async (opts: RunOpts) => {
      ctx.jsonMode = opts.json === true;
      const set = ctx.loadValid(ctx.contractsDir(opts.dir));
      const lake = opts.lake !== undefined ? ctx.resolvePath(opts.lake) : join(ctx.workspaceRoot(), 'out', 'demo');
      const progress = opts.progress && !ctx.jsonMode;
      const r = await runStreamConsumer(set, {
        lakeRoot: lake,
        target: produceTarget(opts, ctx.env),
        salt: saltFrom(ctx.env).salt,
        maxBatch: opts.maxBatch,
        pollMs: opts.pollMs,
        groupId: opts.group,
        ...(opts.db !== undefined ? { sqlite: ctx.resolvePath(opts.db) } : {}),
        ...(opts.once === true ? { once: true } : {}),
        ...(opts.untilIdle !== undefined ? { untilIdleSeconds: opts.untilIdle } : {}),
        ...(opts.mart !== undefined ? { marts: opts.mart } : {}),
        ...(opts.freshness !== undefined ? { freshness: opts.freshness } : {}),
        ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
        onEvent: (e) => {
          if (progress) ctx.stderr(`${describeStreamEvent(e)}\n`);
        },
      });
      ctx.signal?.throwIfAborted();
      const summary = {
        batches: r.batches,
        records: r.records,
        p50_ms: percentile(r.latencyMs, 50),
        p99_ms: percentile(r.latencyMs, 99),
      };
      if (ctx.jsonMode) {
        ctx.printJson(summary);
        return;
      }
      ctx.print(
        `stream run: ${r.batches} micro-batch(es), ${r.records} records${r.latencyMs.length > 0 ? ` · event → mart p50 ${summary.p50_ms} ms · p99 ${summary.p99_ms} ms` : ''}`,
      );
    });
}
