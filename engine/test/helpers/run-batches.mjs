// Runs batches of the fixture contracts on the built packages; used by the
// crash-safety test as a separate process that the test kills.
// usage: node run-batches.mjs <contractsDir> <lakeRoot> <date>...
import { loadContractsOrThrow } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { LocalRunner } from '@streampulse/engine';

const [contractsDir, lakeRoot, ...dates] = process.argv.slice(2);
const set = loadContractsOrThrow(contractsDir);
const runner = await LocalRunner.open(compileJobs(set), { lakeRoot, salt: 'test-salt' });
const reports = [];
for (const d of dates) reports.push(await runner.runBatch(d));
await runner.publish(set, reports);
runner.close();
process.stdout.write('DONE\n');
