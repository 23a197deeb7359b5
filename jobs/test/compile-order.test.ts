/**
 * The plan's order (compileJobs → topoSort): dependencies first, ties broken by id, and a
 * dependency cycle reported with the path that closes it.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import {
  findWorkspaceRoot,
  loadContractsOrThrow,
  STREAMPULSE_CONTRACTS_DIR,
  StreamPulseError,
  type ContractSet,
  type DatasetContract,
} from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const set = loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR));

describe('compileJobs: the order of the plan', () => {
  it('puts every job after the jobs of the plan it depends on, the same way each time', () => {
    const plan = compileJobs(set);
    const at = new Map(plan.jobs.map((j, i) => [j.id, i]));
    for (const j of plan.jobs) for (const d of j.depends_on) if (at.has(d)) expect(at.get(d)!).toBeLessThan(at.get(j.id)!);
    expect(compileJobs(set).jobs.map((j) => j.id)).toStrictEqual(plan.jobs.map((j) => j.id));
  });

  it('names the cycle when two datasets check references against each other', () => {
    // payments already checks users; users checking payments back closes bronze → silver → bronze → silver
    const users = set.datasets.find((d) => d.dataset === 'users')!;
    const payments = set.datasets.find((d) => d.dataset === 'payments')!;
    const column = payments.primary_key[0]!;
    const back: DatasetContract['quality'][number] = {
      rule: 'referential',
      column: users.primary_key[0]!,
      references: { dataset: 'payments', column },
      action: 'warn',
    } as DatasetContract['quality'][number];
    const cyclic: ContractSet = { ...set, datasets: set.datasets.map((d) => (d === users ? { ...d, quality: [...d.quality, back] } : d)) };
    let error: unknown;
    try {
      compileJobs(cyclic);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamPulseError);
    expect((error as StreamPulseError).code).toBe('JOBS_CYCLE');
    const message = (error as StreamPulseError).message;
    const loop = message.slice(message.indexOf(': ') + 2).split(' → ');
    // the path ends where the cycle closes: the last id is visited again
    const first = loop.indexOf(loop[loop.length - 1]!);
    expect(first).toBeLessThan(loop.length - 1);
    const cycle = loop.slice(first);
    // each step is a dependency: silver.x needs bronze.x; bronze.x needs the silver of a dataset x checks references against
    for (let i = 0; i + 1 < cycle.length; i++) {
      const [layer, name] = cycle[i]!.split('.');
      if (layer === 'silver') expect(cycle[i + 1]).toBe(`bronze.${name}`);
      else expect(cycle[i + 1]!.startsWith('silver.')).toBe(true);
    }
    // and it runs through the reference added here
    expect(cycle.some((id, i) => id === 'bronze.users' && cycle[i + 1] === 'silver.payments')).toBe(true);
  });
});
