/**
 * `streampulse stream produce`: the simulated business's watch and session events, live,
 * to the contracts' stream topics on a local Kafka broker or Azure Event Hubs' Kafka
 * endpoint (`@streampulse/sources` produceStream; one client configuration for both).
 * The stream continues the world of a lake (`--lake`: its landing manifest's users, days,
 * start and seed; its seeded defects' parents are never referenced) or of the demo's
 * defaults. A connection string is read from an environment variable, never an argument,
 * and never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { StreamPulseError } from '@streampulse/contracts';
import { type KafkaTarget, type Manifest, MANIFEST_FILE, parentExclusions, produceStream, type StreamWorld, streamWorldOf } from '@streampulse/sources';
import type { CliContext } from '../context.js';
import { DEMO_DEFAULTS } from './demo.js';

interface ProduceOpts {
  rate: number;
  duration: number;
  late: number;
  dupes: number;
  seed: string;
  bootstrap?: string;
  eventHubsNamespace?: string;
  connectionStringEnv?: string;
  lake?: string;
  partitions: number;
  manifest?: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

function hostPort(v: string): string {
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not host:port`);
  return v;
}

function positiveNumber(name: string, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0) || n > max) throw new InvalidArgumentError(`${name} must be a number above 0 and at most ${max}, got "${v}"`);
    return n;
  };
}

function share(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v) || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a share from 0 to 1 (e.g. 0.02), got "${v}"`);
    return n;
  };
}

function wholeNumber(name: string, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}, got "${v}"`);
    return n;
  };
}

/** The target from the options: exactly one of --bootstrap and --event-hubs-namespace. */
export function produceTarget(
  opts: Pick<ProduceOpts, 'bootstrap' | 'eventHubsNamespace' | 'connectionStringEnv'>,
  env: Readonly<Record<string, string | undefined>>,
): KafkaTarget {
  if ((opts.bootstrap === undefined) === (opts.eventHubsNamespace === undefined))
    throw new StreamPulseError('STREAM_NO_TARGET', 'name one target: --bootstrap host:port (a Kafka broker) or --event-hubs-namespace NS (Azure Event Hubs)', {
      remedy: 'pass --bootstrap 127.0.0.1:9092, or --event-hubs-namespace evhns-… [--connection-string-env VAR]',
    });
  if (opts.bootstrap !== undefined) {
    if (opts.connectionStringEnv !== undefined)
      throw new StreamPulseError('STREAM_NO_TARGET', '--connection-string-env is for --event-hubs-namespace', {
        remedy: 'drop --connection-string-env, or target Event Hubs',
      });
    return { kind: 'local', bootstrap: opts.bootstrap };
  }
  if (opts.connectionStringEnv === undefined) return { kind: 'event-hubs', namespace: opts.eventHubsNamespace!, auth: 'entra' };
  const cs = env[opts.connectionStringEnv];
  if (cs === undefined || cs.trim() === '')
    throw new StreamPulseError('STREAM_CONNECTION_STRING_MISSING', `the environment variable ${opts.connectionStringEnv} is not set`, {
      remedy: `set ${opts.connectionStringEnv} to the namespace's connection string (Key Vault's eventhubs-send-connection-string), or drop --connection-string-env to sign in with Microsoft Entra ID`,
    });
  return { kind: 'event-hubs', namespace: opts.eventHubsNamespace!, auth: { connectionString: cs } };
}

/** The world to continue and the parents to avoid: the lake's landing manifest, or the demo's defaults. */
function worldOf(lake: string | undefined): { world: StreamWorld; exclude?: Map<string, Set<string>>; from?: string } {
  if (lake === undefined) return { world: { users: DEMO_DEFAULTS.users, days: DEMO_DEFAULTS.days, startDate: DEMO_DEFAULTS.start, seed: DEMO_DEFAULTS.seed } };
  const file = join(lake, 'landing', MANIFEST_FILE);
  if (!existsSync(file))
    throw new StreamPulseError('STREAM_LAKE_MANIFEST_MISSING', `${file} does not exist: the lake has no generated landing files`, {
      remedy: 'run streampulse demo --out <lake> first, or drop --lake to continue the demo defaults',
    });
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  return { world: streamWorldOf(manifest), exclude: parentExclusions(manifest), from: file };
}

export function addStreamProduceCommand(group: Command, ctx: CliContext): void {
  group
    .command('produce')
    .description(
      'send the simulated watch and session events to the contracts’ stream topics (a Kafka broker or Event Hubs), with late and duplicate events on request',
    )
    .requiredOption('--rate <r>', 'events a second (re-sends count)', positiveNumber('--rate', 1_000_000))
    .requiredOption('--duration <s>', 'seconds to produce for', positiveNumber('--duration', 86_400))
    .option('--late <p>', 'share of events sent late: half within the contract’s watermark, half beyond it (quarantined)', share('--late'), 0)
    .option('--dupes <p>', 'share of events sent twice (same key and value)', share('--dupes'), 0)
    .option('-s, --seed <seed>', 'random seed of the stream (same seed, same events; only the clock differs)', '1')
    .option('--bootstrap <host:port>', 'a Kafka broker (PLAINTEXT); its missing topics are created', hostPort)
    .option(
      '--event-hubs-namespace <ns>',
      'an Azure Event Hubs namespace: its Kafka endpoint <ns>.servicebus.windows.net:9093 (SASL_SSL); Microsoft Entra ID sign-in unless --connection-string-env',
    )
    .option('--connection-string-env <var>', 'the environment variable holding the namespace’s connection string (SASL PLAIN); never printed')
    .option('--lake <dir>', 'continue the world of this lake (its landing/_manifest.json); default: the demo’s defaults')
    .option('--partitions <n>', 'partitions of the topics created on a local broker', wholeNumber('--partitions', 64), 1)
    .option('--manifest <file>', 'write what was sent (counts per topic, late and duplicate ids) as JSON')
    .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
    .option('--no-progress', 'no progress line on stderr')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      `
The topics and keys are the contracts' (source.stream_topic, source.stream_key); each value is
the line the daily landing file would hold, its Kafka timestamp the production instant.
Exit codes: 0 success, 1 failure, 2 usage error, 130 / 143 interrupted (what was sent is reported).`,
    )
    .action(async (opts: ProduceOpts) => {
      ctx.jsonMode = opts.json === true;
      const set = ctx.loadValid(ctx.contractsDir(opts.dir));
      const target = produceTarget(opts, ctx.env);
      const { world, exclude, from } = worldOf(opts.lake !== undefined ? ctx.resolvePath(opts.lake) : undefined);
      const progress = opts.progress && !ctx.jsonMode;
      let lastLine = 0;
      const summary = await produceStream(set, {
        target,
        rate: opts.rate,
        durationS: opts.duration,
        late: opts.late,
        dupes: opts.dupes,
        seed: opts.seed,
        world,
        ...(exclude !== undefined ? { exclude } : {}),
        partitions: opts.partitions,
        ...(opts.manifest !== undefined ? { manifestFile: ctx.resolvePath(opts.manifest) } : {}),
        ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
        onProgress: (p) => {
          if (!progress || (p.elapsedMs - lastLine < 1000 && p.records < p.total)) return;
          lastLine = p.elapsedMs;
          ctx.stderr(`stream produce: ${p.records}/${p.total} records · ${Math.round(p.rate)}/s\n`);
        },
      });
      if (ctx.jsonMode) ctx.printJson(summary);
      else
        ctx.print(
          `stream produce: ${summary.interrupted ? 'interrupted after ' : ''}${summary.records} records to ${summary.target} in ${(summary.duration_ms / 1000).toFixed(1)} s (${summary.rate_achieved}/s; world ${from === undefined ? 'the demo defaults' : ctx.display(from)})`,
          ...summary.topics.map(
            (t) =>
              `  ${t.topic.padEnd(28)} ${String(t.records).padStart(8)} records  ${String(t.events).padStart(8)} events  dup ${t.duplicates}  late within ${t.late_within}  beyond ${t.late_beyond}  (key ${t.key_column})`,
          ),
          ...(opts.manifest !== undefined ? [`manifest: ${ctx.display(ctx.resolvePath(opts.manifest))}`] : []),
        );
      // interrupted: what was sent is reported (and in the manifest), then the signal's exit code
      ctx.signal?.throwIfAborted();
    });
}
