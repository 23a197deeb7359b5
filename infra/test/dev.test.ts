import { renderStack, type Rendered } from './harness';

let dev: Rendered;
beforeAll(async () => {
  dev = await renderStack('dev');
}, 60_000);

test('dev renders (Pulumi mocks)', () => {
  const counts: Record<string, number> = {};
  for (const r of dev.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  console.log(counts, dev.resources.length);
});
