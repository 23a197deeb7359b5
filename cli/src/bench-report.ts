/** The human report of `streampulse bench` (rendering: the measuring is @streampulse/bench). */
import type { BenchGoal, BenchResult, SideFigures } from '@streampulse/bench';
import { table, type Style } from './output.js';

const n1 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n2 = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (n: number): string => `${(n * 100).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;

/** The human report of a benchmark result (the `--json` form is the result itself). */
export function benchReport(r: BenchResult, s: Style, display: (p: string) => string = (p) => p): string[] {
  const rss = (f: SideFigures): string => (r.isolated ? int(f.peak_rss_mb) : `${int(f.peak_rss_mb)}*`);
  const sides = [r.runner, r.floor, r.floor_silver_only];
  const all = [...sides, r.ceiling];
  const row = (label: string, f: (x: SideFigures) => string): string[] => [label, ...all.map(f)];
  const shares = [r.shares.runner, r.shares.floor, r.shares.floor_silver_only, r.shares.ceiling];
  const rows: string[][] = [
    row('landing → silver (s)', (x) => n1(x.seconds.landing_to_silver)),
    row('landing → silver (MB/s)', (x) => n1(x.mb_per_s)),
    ['  share of the ceiling', ...shares.map(pct)],
    [...row('gold + marts (s)', (x) => n1(x.seconds.gold)).slice(0, 4), '-'],
    [...row('publish serving (s)', (x) => n1(x.seconds.publish)).slice(0, 2), '-', '-', '-'],
    row('end to end (s)', (x) => n1(x.seconds.end_to_end)),
    row('CPU user+sys (s)', (x) => (r.isolated ? n1(x.cpu_seconds) : '-')),
    row('peak RSS (MB)', rss),
  ];
  const datasets = [...new Set([...Object.keys(r.runner.silver_rows), ...Object.keys(r.floor.silver_rows)])].sort();
  const mark = (met: boolean): string => (met ? s.green('met') : s.red('not met'));
  const goalValue = (g: BenchGoal): string =>
    g.value === null
      ? 'not measured'
      : g.id === 'ceiling_share'
        ? pct(g.value)
        : g.id === 'ratio'
          ? `${n2(g.value)}×`
          : g.id === 'demo'
            ? `${n2(g.value)} s`
            : `${int(g.value)} MB`;
  const goalMark = (g: BenchGoal): string =>
    g.met !== null ? mark(g.met) : s.dim(g.value === null ? 'not measured' : `n/a: this run is ${int(r.scale.users)} × ${r.scale.days}`);
  const ceilingRows = Object.values(r.ceiling.silver_rows).reduce((a, x) => a + x, 0);
  const counts = (pick: (x: SideFigures) => Readonly<Record<string, number>>, of: readonly SideFigures[]): string[][] =>
    datasets.map((d) => [d, ...of.map((x) => int(pick(x)[d] ?? 0))]);
  return [
    s.bold(`StreamPulse local benchmark: ${int(r.scale.users)} users × ${r.scale.days} days, seed ${r.scale.seed}`),
    `  machine: ${r.machine.cpus} cores (${r.machine.cpu_model}), ${n1(r.machine.memory_gb)} GB RAM, Node ${r.machine.node}; DuckDB threads ${r.duckdb.threads} on every side (runner: bronze and silver 1 per connection × 2 connections, gold ${r.duckdb.threads}), memory_limit ${r.duckdb.runner_memory_limit} (runner) / ${r.duckdb.memory_limit} (floors)`,
    `  landing: ${n1(r.landing.mb)} MB in ${int(r.landing.files)} files, ${r.landing.datasets} datasets, ${int(r.landing.rows)} lines (${int(r.landing.defect_lines)} defective) (${display(r.landing.dir)}; ${r.landing.reused ? 'cached, reused' : `generated in ${n1(r.landing.generate_seconds ?? 0)}s`}, not timed)`,
    '',
    ...table(['', 'runner', 'floor', 'floor, silver only', 'ceiling'], rows, s, '  '),
    '',
    `  runner / floor end to end: ${s.bold(`${n2(r.ratio)}×`)}   (runner / silver-only floor: ${n2(r.ratio_silver_only)}×)`,
    ...(r.rounds.length > 1
      ? [
          `  ${r.rounds.length} rounds (figures above: the round with the median ratio): runner / floor ${r.rounds.map((x) => `${n2(x.ratio)}×`).join(', ')}; runner / silver-only floor ${r.rounds.map((x) => `${n2(x.ratio_silver_only)}×`).join(', ')}; runner's share of the ceiling ${r.rounds.map((x) => pct(x.runner_share)).join(', ')}`,
          `    end to end (s): runner ${r.rounds.map((x) => n1(x.runner)).join(', ')}; floor ${r.rounds.map((x) => n1(x.floor)).join(', ')}; silver-only floor ${r.rounds.map((x) => n1(x.floor_silver_only)).join(', ')}; ceiling ${r.rounds.map((x) => n1(x.ceiling)).join(', ')}${r.demo === null ? '' : `; demo ${r.rounds.map((x) => (x.demo === null ? '-' : n1(x.demo))).join(', ')}`}`,
        ]
      : []),
    `  silver rows per dataset: ${r.silver_rows_match ? s.green('the same on every side') : s.red('DIFFERENT (the floor does not do the same work)')}; bronze and quarantine rows: ${r.bronze_rows_match ? s.green('the same in the runner and the floor') : s.red('DIFFERENT')}; mart rows: ${r.mart_rows_match ? s.green('the same') : s.yellow('different')}`,
    ...(r.silver_rows_match
      ? []
      : table(
          ['silver rows', 'runner', 'floor', 'floor, silver only'],
          counts((x) => x.silver_rows, sides),
          s,
          '    ',
        )),
    ...(r.bronze_rows_match
      ? []
      : table(
          ['bronze / quarantine rows', 'runner', 'floor'],
          datasets.map((d) => [d, ...[r.runner, r.floor].map((x) => `${int(x.bronze_rows[d] ?? 0)} / ${int(x.quarantine_rows[d] ?? 0)}`)]),
          s,
          '    ',
        )),
    `  ceiling: ${int(ceilingRows)} rows written, every landing line that parses (re-landed copies and duplicates included)`,
    ...(r.isolated ? [] : [s.dim('  * every side ran in this process (--in-process): peak RSS is the process peak, not per side')]),
    ...(r.demo === null
      ? []
      : [
          '',
          `${s.bold('Demo')} (${int(r.demo.scale.users)} users × ${r.demo.scale.days} days, ${n1(r.demo.landing_mb)} MB of landing): ${r.demo.batches} daily batches through the local Data Factory executor in ${s.bold(`${n2(r.demo.seconds.end_to_end)} s`)} (bronze + silver ${n1(r.demo.seconds.landing_to_silver)} s, gold + marts ${n1(r.demo.seconds.gold)} s, serving ${n1(r.demo.seconds.publish)} s), peak RSS ${rss(r.demo)} MB`,
        ]),
    ...(r.clean === null
      ? []
      : [
          '',
          `${s.bold('Clean lines and defects')}: the runner once more over landing without defective lines, the re-landed copies kept (${n1(r.clean.landing.mb)} MB, ${int(r.clean.landing.rows)} lines)`,
          ...table(
            ['', 'landing → silver (s)', 'MB/s', 'share of the ceiling', 'end to end (s)', 'CPU user+sys (s)'],
            [
              [
                'no defective lines (fast path only)',
                n1(r.clean.runner.seconds.landing_to_silver),
                n1(r.clean.runner.mb_per_s),
                pct(r.clean.share),
                n1(r.clean.runner.seconds.end_to_end),
                r.isolated ? n1(r.clean.runner.cpu_seconds) : '-',
              ],
              [
                `default defects (${int(r.clean.defect_lines)} lines, ${pct(r.clean.defect_line_share)})`,
                n1(r.runner.seconds.landing_to_silver),
                n1(r.runner.mb_per_s),
                pct(r.shares.runner),
                n1(r.runner.seconds.end_to_end),
                r.isolated ? n1(r.runner.cpu_seconds) : '-',
              ],
            ],
            s,
            '  ',
          ),
          `  the defect path: ${n2(r.clean.defect_path_seconds)} s beyond the clean rate, ${n1(r.clean.defect_path_us_per_line)} µs a defective line${r.clean.defect_path_cpu_seconds === null ? '' : `; by CPU seconds of the whole run ${n1(r.clean.defect_path_cpu_seconds)} s`} (one run each; the machine's other load moves it)`,
        ]),
    '',
    s.bold('Goals (printed, not asserted)'),
    ...table(
      ['goal', 'measured', ''],
      r.goals.map((g) => [g.goal, goalValue(g), goalMark(g)]),
      s,
      '  ',
    ),
    '',
    s.dim(
      'MB = 10^6 bytes. Runner: every daily batch (bronze, silver, gold, marts) then publish. Floor: one DuckDB script over all days writing bronze, quarantine, silver and gold (runs/floor/floor.sql); silver-only floor: the same without the bronze layer (runs/floor_silver_only/floor.sql). Ceiling: one statement per dataset, landing → Parquet with the contract’s columns and types, nothing else (runs/ceiling/ceiling.sql).',
    ),
  ];
}
