/**
 * `node rehearsal/dist/src/kafka/serve-broker.js [--sasl oauthbearer-unsecured|plain] [--partitions N]`:
 * starts one broker (startKafkaBroker), prints one JSON line on stdout when it is ready —
 * `{"bootstrap":"127.0.0.1:…","saslBootstrap":…,"dir":…,"logFile":…,"pid":…}` — and
 * stops it when stdin closes or on SIGTERM / SIGINT. The pytest fixture
 * (jobs/python/tests/kafka_broker.py) runs the broker through this script, so Python and
 * Node start the same broker from the same server.properties logic.
 * A failed start prints `{"error":…,"code":…,"remedy":…}` and exits 1.
 */
import { StreamPulseError } from '@streampulse/contracts';
import { type KafkaSaslListener, startKafkaBroker } from './broker.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const sasl = arg('--sasl') as KafkaSaslListener | undefined;
  const partitions = arg('--partitions');
  let broker: Awaited<ReturnType<typeof startKafkaBroker>>;
  try {
    broker = await startKafkaBroker({
      ...(sasl !== undefined ? { listeners: { sasl } } : {}),
      ...(partitions !== undefined ? { partitions: Number(partitions) } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    const e = error instanceof StreamPulseError ? error : new StreamPulseError('KAFKA_START_FAILED', String(error), { remedy: 'see the message' });
    process.stdout.write(`${JSON.stringify({ error: e.message, code: e.code, remedy: e.remedy })}\n`);
    process.exitCode = 1;
    return;
  }
  let stopping: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> => {
    stopping ??= broker.stop().then(() => process.exit(0));
    return stopping;
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
  process.stdout.write(
    `${JSON.stringify({ bootstrap: broker.bootstrap, saslBootstrap: broker.saslBootstrap ?? null, saslMechanism: broker.saslMechanism ?? null, dir: broker.dir, logFile: broker.logFile, pid: broker.pid })}\n`,
  );
}

await main();
