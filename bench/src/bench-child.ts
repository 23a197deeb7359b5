/**
 * Child process of `streampulse bench`: measures one side (runner or floor) in a
 * process of its own, so its peak RSS is its own. Reads a SideRequest (JSON) from
 * argv, writes progress lines on stderr and one SideResult JSON line on stdout.
 */
import { StreamPulseError } from '@streampulse/contracts';
import { benchChildMain } from './bench.js';

benchChildMain(process.argv.slice(2)).then(
  () => undefined,
  (err: unknown) => {
    process.stderr.write(`${err instanceof StreamPulseError ? err.describe() : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
