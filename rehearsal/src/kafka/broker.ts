/**
 * A real Apache Kafka broker for the streaming rehearsal and the tests: Kafka 4.1 in
 * KRaft combined mode (one node is both broker and controller), run from the jars
 * scripts/setup.sh fetched with Maven into `.cache/kafka/jars` (rehearsal/kafka/pom.xml;
 * nothing is downloaded at run time), on 127.0.0.1 only, on ports chosen free.
 *
 *   const broker = await startKafkaBroker({ listeners: { sasl: 'oauthbearer-unsecured' } });
 *   broker.bootstrap      // '127.0.0.1:<port>'  PLAINTEXT
 *   broker.saslBootstrap  // '127.0.0.1:<port>'  SASL_PLAINTEXT (OAUTHBEARER or PLAIN)
 *   await broker.stop();  // SIGTERM, SIGKILL after a grace period; removes its folder
 *
 * The folder holds server.properties, log4j2.properties, the data (log.dirs) and
 * `broker.log` (the JVM's stdout and stderr). It is removed by `stop()` unless the start
 * failed, the broker died on its own, or the caller asks to keep it: then its path is
 * printed (`log`) and returned. The JVM runs in its own process group, with a small heap;
 * the process's `exit` (and SIGINT / SIGTERM when nobody else handles them) kills it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { StreamPulseError } from '@streampulse/contracts';

/** The SASL listener the broker may open beside PLAINTEXT (SASL_PLAINTEXT: no TLS). */
export type KafkaSaslListener = 'oauthbearer-unsecured' | 'plain';

export interface KafkaBrokerOptions {
  /** The broker's folder: must be absent or empty; default a new folder under the OS temp dir. */
  readonly dir?: string;
  /** Extra listeners. `oauthbearer-unsecured`: SASL/OAUTHBEARER with Kafka's unsecured JWT validator (development only: it checks an unsigned token's `sub`, `iat`, `exp`); `plain`: SASL/PLAIN with `plainUsers`. */
  readonly listeners?: { readonly sasl?: KafkaSaslListener };
  /** SASL/PLAIN users (name → password) of the `plain` listener; default `{ streampulse: 'streampulse' }`. */
  readonly plainUsers?: Readonly<Record<string, string>>;
  /** Partitions of a topic the broker creates on first use (auto.create.topics.enable); default 1. */
  readonly partitions?: number;
  /** Create topics on first use (produce or metadata); default true. */
  readonly autoCreateTopics?: boolean;
  /** More server.properties entries (they win over the generated ones). */
  readonly properties?: Readonly<Record<string, string>>;
  /** The jars folder; default $STREAMPULSE_KAFKA_JARS or `.cache/kafka/jars` in the workspace. */
  readonly jarsDir?: string;
  /** The JVM's maximum heap; default `256m`. */
  readonly heap?: string;
  /** How long the broker may take to answer a metadata request; default 60 s. */
  readonly startTimeoutMs?: number;
  /** Progress and kept-log notices. */
  readonly log?: (line: string) => void;
}

export interface KafkaBroker {
  /** `127.0.0.1:<port>`: the PLAINTEXT listener. */
  readonly bootstrap: string;
  /** `127.0.0.1:<port>`: the SASL_PLAINTEXT listener, when one was asked for. */
  readonly saslBootstrap?: string;
  /** The SASL mechanism of `saslBootstrap`. */
  readonly saslMechanism?: 'OAUTHBEARER' | 'PLAIN';
  readonly dir: string;
  /** The broker's stdout + stderr. */
  readonly logFile: string;
  /** The JVM's pid (also its process group). */
  readonly pid: number;
  /** True while the JVM runs. */
  running(): boolean;
  /** Creates the topics that do not exist yet (`partitions` each, default the broker's) and waits until every partition has a leader. */
  createTopics(topics: readonly string[], partitions?: number): Promise<void>;
  /** Stops the JVM (SIGTERM, then SIGKILL after `graceMs`, default 15 s); removes `dir` unless `keep` or the broker died on its own. */
  stop(options?: { readonly keep?: boolean; readonly graceMs?: number }): Promise<{ readonly kept: boolean }>;
}

const KAFKA_MAIN = 'kafka.Kafka';
const STORAGE_TOOL_MAIN = 'kafka.tools.StorageTool';
const DEFAULT_PLAIN_USERS: Readonly<Record<string, string>> = { streampulse: 'streampulse' };
/** The `sub` the broker's own inter-listener login uses (it never logs in: the broker talks to itself on PLAINTEXT). */
const UNSECURED_BROKER_SUBJECT = 'streampulse-broker';

/** The workspace root (the folder with pnpm-workspace.yaml) above this module, or above the cwd. */
function workspaceRoot(): string | undefined {
  const starts: string[] = [process.cwd()];
  try {
    starts.unshift(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // not a file URL (bundled): the cwd only
  }
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

/** The folder of the broker's jars: the option, $STREAMPULSE_KAFKA_JARS, or `.cache/kafka/jars` in the workspace. */
export function kafkaJarsDir(explicit?: string): string {
  if (explicit !== undefined) return resolve(explicit);
  const env = process.env.STREAMPULSE_KAFKA_JARS;
  if (env !== undefined && env !== '') return resolve(env);
  return join(workspaceRoot() ?? process.cwd(), '.cache', 'kafka', 'jars');
}

function checkJars(jars: string): void {
  const names = existsSync(jars) ? readdirSync(jars) : [];
  if (!names.some((n) => /^kafka_2\.13-.*\.jar$/.test(n)) || !names.some((n) => /^kafka-clients-.*\.jar$/.test(n)))
    throw new StreamPulseError('KAFKA_JARS_MISSING', `the Kafka broker's jars are not in ${jars}`, {
      remedy:
        'run scripts/setup.sh (it fetches them with Maven from rehearsal/kafka/pom.xml), or point STREAMPULSE_KAFKA_JARS at a folder holding kafka_2.13 and its dependencies',
    });
}

function checkJava(): string {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const text = `${probe.stderr ?? ''}${probe.stdout ?? ''}`;
  const major = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const n = major?.[1] === '1' ? Number(major[2]) : Number(major?.[1]);
  if (probe.error !== undefined || probe.status !== 0 || !(n >= 17))
    throw new StreamPulseError(
      'KAFKA_JAVA_MISSING',
      probe.error !== undefined
        ? `no Java to run the Kafka broker (${java}: ${probe.error.message})`
        : `the Kafka broker needs Java 17 or newer; ${java} is ${major ? `Java ${n}` : 'unknown'}`,
      { remedy: 'Java 17 needed: install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME' },
    );
  return java;
}

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Kafka's cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid`
 * prints). Like Kafka's own `Uuid.randomUuid`, an id that starts with '-' is drawn again: the
 * storage tool's argument parser would take `-t -xyz…` for an option (1 start in 64 failed).
 */
export function clusterId(draw: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = draw().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const jaasQuote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface BrokerPorts {
  readonly broker: number;
  readonly controller: number;
  readonly sasl?: number;
}

/** The broker's server.properties (single node, KRaft combined mode), as lines. Pure. */
export function kafkaServerProperties(input: {
  readonly dataDir: string;
  readonly ports: BrokerPorts;
  readonly sasl?: KafkaSaslListener;
  readonly plainUsers?: Readonly<Record<string, string>>;
  readonly partitions?: number;
  readonly autoCreateTopics?: boolean;
  readonly properties?: Readonly<Record<string, string>>;
}): string {
  const { ports } = input;
  const host = '127.0.0.1';
  const listeners = [`PLAINTEXT://${host}:${ports.broker}`, `CONTROLLER://${host}:${ports.controller}`];
  const advertised = [`PLAINTEXT://${host}:${ports.broker}`];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  const props = new Map<string, string>([
    ['process.roles', 'broker,controller'],
    ['node.id', '1'],
    ['controller.quorum.bootstrap.servers', `${host}:${ports.controller}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['log.dirs', input.dataDir],
    ['num.partitions', String(input.partitions ?? 1)],
    ['auto.create.topics.enable', String(input.autoCreateTopics ?? true)],
    ['offsets.topic.replication.factor', '1'],
    ['offsets.topic.num.partitions', '1'],
    ['transaction.state.log.replication.factor', '1'],
    ['transaction.state.log.min.isr', '1'],
    ['transaction.state.log.num.partitions', '1'],
    ['share.coordinator.state.topic.replication.factor', '1'],
    ['share.coordinator.state.topic.min.isr', '1'],
    ['group.initial.rebalance.delay.ms', '0'],
    ['num.network.threads', '2'],
    ['num.io.threads', '2'],
    ['num.recovery.threads.per.data.dir', '1'],
    ['log.retention.hours', '-1'],
    ['log.segment.bytes', String(64 * 1024 * 1024)],
  ]);
  if (input.sasl !== undefined) {
    if (ports.sasl === undefined) throw new Error('kafkaServerProperties: a SASL listener needs a port');
    listeners.push(`SASL://${host}:${ports.sasl}`);
    advertised.push(`SASL://${host}:${ports.sasl}`);
    protocols.push('SASL:SASL_PLAINTEXT');
    if (input.sasl === 'oauthbearer-unsecured') {
      props.set('listener.name.sasl.sasl.enabled.mechanisms', 'OAUTHBEARER');
      // No server callback handler named: the broker validates with Kafka's unsecured
      // (unsigned-JWT) validator, for development only.
      props.set(
        'listener.name.sasl.oauthbearer.sasl.jaas.config',
        `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=${jaasQuote(UNSECURED_BROKER_SUBJECT)};`,
      );
    } else {
      const users = input.plainUsers ?? DEFAULT_PLAIN_USERS;
      props.set('listener.name.sasl.sasl.enabled.mechanisms', 'PLAIN');
      const entries = Object.entries(users).map(([user, password]) => `user_${user}=${jaasQuote(password)}`);
      props.set('listener.name.sasl.plain.sasl.jaas.config', `org.apache.kafka.common.security.plain.PlainLoginModule required ${entries.join(' ')};`);
    }
  }
  props.set('listeners', listeners.join(','));
  props.set('advertised.listeners', advertised.join(','));
  props.set('listener.security.protocol.map', protocols.join(','));
  for (const [key, value] of Object.entries(input.properties ?? {})) props.set(key, value);
  const escapeValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return `# Written by @streampulse/rehearsal startKafkaBroker: one KRaft node on 127.0.0.1\n${[...props].map(([k, v]) => `${k}=${escapeValue(v)}`).join('\n')}\n`;
}

/** Log4j 2 configuration: warnings and errors, plus the lines that say the broker started or stopped. */
const LOG4J2 = `status=warn
rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.raftserver.name=kafka.server.KafkaRaftServer
logger.raftserver.level=INFO
logger.broker.name=kafka.server.BrokerServer
logger.broker.level=INFO
`;

/** The last `lines` lines of a file ('' when it cannot be read). */
export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '';
  }
}

function prepareDir(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), 'streampulse-kafka-'));
  const abs = resolve(dir);
  if (existsSync(abs) && readdirSync(abs).length > 0)
    throw new StreamPulseError('KAFKA_DIR_NOT_EMPTY', `the Kafka broker's folder ${abs} is not empty`, {
      remedy: 'give startKafkaBroker an absent or empty folder (it removes the folder when the broker stops), or none for a temporary one',
    });
  mkdirSync(abs, { recursive: true });
  return abs;
}

/** Live brokers of this process: killed (SIGKILL, synchronously) when the process exits. */
const live = new Set<{ pid: number; dir: string; removeOnExit: () => boolean }>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const b of live) {
      killGroup(b.pid, 'SIGKILL');
      if (b.removeOnExit()) rmSync(b.dir, { recursive: true, force: true });
    }
    live.clear();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // Another handler (the CLI's abort) owns the shutdown: it stops the broker in its own
      // time (a consumer may still commit); 'exit' and the watchdog are the backstops.
      if (process.listenerCount(signal) > 1) return;
      // Alone: stop the brokers, then behave as if we had not listened (the default action ends the process).
      for (const b of live) killGroup(b.pid, 'SIGKILL');
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** True while any process of the group `pid` lives. */
function isAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The broker's process group: `sh -c WATCHDOG kafka-broker <java> <args…>` ($0 is a name). The JVM runs
 * in the background (stdin closed); SIGTERM / SIGINT to the group reach the JVM directly
 * (a clean shutdown) and sh waits for it; a subshell reads sh's stdin — a pipe from the
 * Node process — and, at its end, stops the JVM (SIGTERM, SIGKILL 10 s later).
 */
const WATCHDOG = [
  // (an asynchronous list's stdin is /dev/null unless redirected: keep the pipe on fd 3)
  'exec 3<&0',
  '"$@" </dev/null 3<&- & j=$!',
  "trap 'wait $j; exit 143' TERM",
  "trap 'wait $j; exit 130' INT",
  '( while read -r _; do :; done <&3; kill -TERM $j 2>/dev/null; sleep 10; kill -KILL $j 2>/dev/null ) &',
  'exec 3<&-',
  'wait $j',
].join('\n');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function runStorageFormat(java: string, jars: string, dir: string, propertiesFile: string, logFile: string): void {
  const out = openSync(logFile, 'a');
  try {
    const result = spawnSync(
      java,
      [
        '-Xmx128m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
        '-cp',
        join(jars, '*'),
        STORAGE_TOOL_MAIN,
        'format',
        '-t',
        clusterId(),
        '-c',
        propertiesFile,
        '--standalone',
      ],
      { stdio: ['ignore', out, out], timeout: 120_000 },
    );
    if (result.status !== 0)
      throw new StreamPulseError(
        'KAFKA_START_FAILED',
        `formatting the Kafka broker's storage failed (exit ${result.status ?? result.signal}); its log: ${logFile}\n${logTail(logFile)}`,
        {
          remedy: `read ${logFile}; the broker's server.properties is ${propertiesFile}`,
        },
      );
  } finally {
    closeSync(out);
  }
}

/** Asks the broker for its metadata until it answers (true), it dies, or the time is up (false). */
async function waitReady(bootstrap: string, child: ChildProcess, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited';
    const admin = new Admin({ clientId: 'streampulse-broker-probe', bootstrapBrokers: [bootstrap], retries: 0, connectTimeout: 2000, timeout: 5000 });
    try {
      const metadata = await admin.metadata({ topics: [] });
      if (metadata.brokers.size > 0) return 'ready';
    } catch {
      // not listening yet
    } finally {
      await admin.close().catch(() => undefined);
    }
    await sleep(250);
  }
  return 'timeout';
}

/** Creates the missing topics on the broker at `bootstrap` and waits (30 s at most) until each partition has a leader. */
export async function createTopicsOn(bootstrap: string, topics: readonly string[], partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'streampulse-broker-admin', bootstrapBrokers: [bootstrap] });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) await admin.createTopics({ topics: missing, partitions, replicas: 1 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true }).catch(() => undefined);
      const ready =
        metadata !== undefined &&
        topics.every((t) => {
          const m = metadata.topics.get(t);
          return m !== undefined && m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0);
        });
      if (ready) return;
      if (Date.now() > deadline)
        throw new StreamPulseError('KAFKA_TOPICS_NOT_READY', `topics ${topics.join(', ')} have no leader on ${bootstrap} after 30 s`, {
          remedy: "read the broker's log (broker.log in its folder)",
        });
      await sleep(100);
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Starts one broker; see the module comment. Rejects with a StreamPulseError (KAFKA_JARS_MISSING, KAFKA_JAVA_MISSING, KAFKA_START_FAILED). */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => undefined);
  const jars = kafkaJarsDir(options.jarsDir);
  checkJars(jars);
  const java = checkJava();
  const dir = prepareDir(options.dir);
  const logFile = join(dir, 'broker.log');
  const propertiesFile = join(dir, 'server.properties');
  const ports: BrokerPorts = {
    broker: await freePort(),
    controller: await freePort(),
    ...(options.listeners?.sasl !== undefined ? { sasl: await freePort() } : {}),
  };
  writeFileSync(
    propertiesFile,
    kafkaServerProperties({
      dataDir: join(dir, 'data'),
      ports,
      ...(options.listeners?.sasl !== undefined ? { sasl: options.listeners.sasl } : {}),
      ...(options.plainUsers !== undefined ? { plainUsers: options.plainUsers } : {}),
      ...(options.partitions !== undefined ? { partitions: options.partitions } : {}),
      ...(options.autoCreateTopics !== undefined ? { autoCreateTopics: options.autoCreateTopics } : {}),
      ...(options.properties !== undefined ? { properties: options.properties } : {}),
    }),
  );
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
  writeFileSync(logFile, '');

  const failed = (message: string, cause?: unknown): StreamPulseError => {
    log(`kafka broker: start failed; its folder is kept: ${dir}`);
    return new StreamPulseError('KAFKA_START_FAILED', `${message}; its log: ${logFile}\n${logTail(logFile)}`, {
      remedy: `read ${logFile} (the broker's server.properties is ${propertiesFile}); remove ${dir} when done`,
      ...(cause !== undefined ? { cause } : {}),
    });
  };

  try {
    runStorageFormat(java, jars, dir, propertiesFile, logFile);
  } catch (error) {
    log(`kafka broker: start failed; its folder is kept: ${dir}`);
    throw error;
  }

  const out = openSync(logFile, 'a');
  const heap = options.heap ?? '256m';
  const javaArgs = [
    `-Xmx${heap}`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    '-XX:ActiveProcessorCount=2',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
    '-cp',
    join(jars, '*'),
    KAFKA_MAIN,
    propertiesFile,
  ];
  // sh (the process group's leader) runs the JVM and a watchdog reading the pipe from
  // this process: when this process ends in any way (even SIGKILL, or a test runner that
  // never emits 'exit'), the pipe closes and the watchdog stops the JVM.
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'kafka-broker', java, ...javaArgs], {
    cwd: dir,
    detached: true,
    stdio: ['pipe', out, out],
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw failed(`could not start ${java}`);
  }
  child.stdin?.on('error', () => undefined);
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.unref();
  let stopping = false;
  let keepOnExit = false;
  const entry = { pid, dir, removeOnExit: () => !keepOnExit && stopping };
  live.add(entry);
  hookExit();
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });

  const bootstrap = `127.0.0.1:${ports.broker}`;
  log(`kafka broker: starting on ${bootstrap} (pid ${pid}, folder ${dir})`);
  const state = await waitReady(bootstrap, child, options.startTimeoutMs ?? 60_000);
  if (state !== 'ready') {
    keepOnExit = true;
    killGroup(pid, 'SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    live.delete(entry);
    throw failed(
      state === 'exited'
        ? `the Kafka broker exited while starting (exit ${child.exitCode ?? child.signalCode})`
        : `the Kafka broker did not answer on ${bootstrap} within ${options.startTimeoutMs ?? 60_000} ms`,
    );
  }
  log(`kafka broker: ready on ${bootstrap}`);

  const broker: KafkaBroker = {
    bootstrap,
    ...(ports.sasl !== undefined
      ? { saslBootstrap: `127.0.0.1:${ports.sasl}`, saslMechanism: options.listeners?.sasl === 'plain' ? ('PLAIN' as const) : ('OAUTHBEARER' as const) }
      : {}),
    dir,
    logFile,
    pid,
    running: () => child.exitCode === null && child.signalCode === null && isAlive(pid),
    createTopics: (topics, partitions) => createTopicsOn(bootstrap, topics, partitions ?? options.partitions ?? 1),
    async stop(stopOptions = {}) {
      const diedOnItsOwn = !stopping && (child.exitCode !== null || child.signalCode !== null);
      stopping = true;
      const keep = stopOptions.keep === true || diedOnItsOwn;
      keepOnExit = keep;
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const graceful = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), stopOptions.graceMs ?? 15_000);
          }),
        ]);
        clearTimeout(timer);
        if (!graceful) {
          killGroup(pid, 'SIGKILL');
          await exited;
        }
      }
      // The rest of the group (the watchdog) goes too; wait until none of it is left.
      killGroup(pid, 'SIGKILL');
      for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(50);
      live.delete(entry);
      if (keep) {
        log(`kafka broker: ${diedOnItsOwn ? `died on its own (exit ${child.exitCode ?? child.signalCode}); ` : ''}its folder is kept: ${dir} (log ${logFile})`);
        return { kept: true };
      }
      rmSync(dir, { recursive: true, force: true });
      return { kept: false };
    },
  };
  return broker;
}

/**
 * One broker for a test file, framework-neutral:
 *   const kafka = kafkaBrokerFixture();
 *   beforeAll(kafka.start, 120_000);  afterAll(kafka.stop, 30_000);
 *   … kafka.broker.bootstrap …
 * (tests/test/kafka.ts wires it into jest's hooks for the cross-package tests.)
 */
export interface KafkaBrokerFixture {
  /** The running broker (throws before `start` resolved). */
  readonly broker: KafkaBroker;
  readonly start: () => Promise<KafkaBroker>;
  readonly stop: () => Promise<void>;
}

export function kafkaBrokerFixture(options: KafkaBrokerOptions = {}): KafkaBrokerFixture {
  let current: KafkaBroker | undefined;
  return {
    get broker(): KafkaBroker {
      if (current === undefined) throw new Error('kafkaBrokerFixture: the broker is not started (call start in beforeAll)');
      return current;
    },
    start: async () => {
      current = await startKafkaBroker({ log: (line) => process.stderr.write(`${line}\n`), ...options });
      return current;
    },
    stop: async () => {
      const b = current;
      current = undefined;
      if (b !== undefined) await b.stop();
    },
  };
}
