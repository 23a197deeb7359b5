/**
 * The static dashboard page's I/O edge: queries the SQLite serving database for every
 * card of the dashboard contract (its `cardSql(card, 'sqlite')`), reads the quality data
 * and chart.js's browser build, renders the page with `@streampulse/dashboards` (pure)
 * and writes `<outDir>/index.html` atomically (a temporary file renamed into place).
 * The folder is owned through its marker (`folders.ts`, DASHBOARD_OWNER): created when
 * absent or empty, replaced when marked, refused before any work otherwise.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import {
  cardSql,
  dashboardModel,
  qualityFromReport,
  qualityFromServingRows,
  renderDashboardPage,
  type DashboardData,
  type QualityData,
  type Row,
} from '@streampulse/dashboards';
import { readSqlite } from '@streampulse/serving';
import { checkFolder, DASHBOARD_OWNER, ownFolder } from './folders.js';

export const DASHBOARD_PAGE_FILE = 'index.html';

export interface DashboardPageOptions {
  readonly set: ContractSet;
  /** The SQLite serving database (`<lake>/serving/streampulse.sqlite`). */
  readonly sqlitePath: string;
  readonly outDir: string;
  /**
   * The run's quality report (`<lake>/reports/quality.json`). Default: that file beside
   * the serving database when it exists, else the database's `quality_batches` table.
   */
  readonly qualityJson?: string;
  /** The dashboard contract to render (default: the only one). */
  readonly dashboard?: string;
}

/** chart.js's UMD build (the file a page can inline), resolved from this package's dependency. */
export function chartLibraryFile(): string {
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve('chart.js');
  } catch (e) {
    throw new StreamPulseError('DASHBOARD_CHARTJS_MISSING', 'chart.js is not installed beside @streampulse/rehearsal', {
      cause: e,
      remedy: 'install the workspace: bash scripts/setup.sh (pnpm install --frozen-lockfile)',
    });
  }
  const file = join(dirname(main), 'chart.umd.js');
  if (!existsSync(file))
    throw new StreamPulseError('DASHBOARD_CHARTJS_MISSING', `chart.js has no browser build at ${file}`, {
      remedy: 'reinstall the workspace (bash scripts/setup.sh); the pinned chart.js ships dist/chart.umd.js',
    });
  return file;
}

function readQualityReport(file: string): QualityData {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StreamPulseError('DASHBOARD_QUALITY_INVALID', `cannot read the quality report ${file}: ${(e as Error).message}`, {
      cause: e,
      remedy: 'pass the reports/quality.json a run wrote, or leave --quality out to read the serving database',
    });
  }
  return qualityFromReport(json);
}

/** Builds the page; returns the path of the written `index.html`. */
export function buildDashboardPage(opts: DashboardPageOptions): string {
  const model = dashboardModel(opts.set, opts.dashboard);
  checkFolder(opts.outDir, DASHBOARD_OWNER);
  if (!existsSync(opts.sqlitePath))
    throw new StreamPulseError('DASHBOARD_DB_MISSING', `the serving database ${opts.sqlitePath} does not exist`, {
      remedy: 'run `streampulse demo` first (it writes out/demo/serving/streampulse.sqlite), or pass --db with the serving database of a lake',
    });
  if (opts.qualityJson !== undefined && !existsSync(opts.qualityJson))
    throw new StreamPulseError('DASHBOARD_QUALITY_MISSING', `the quality report ${opts.qualityJson} does not exist`, {
      remedy: 'pass the reports/quality.json of the lake the database was published from, or leave --quality out',
    });
  const besideDb = join(dirname(opts.sqlitePath), '..', 'reports', 'quality.json');
  const reportFile = opts.qualityJson ?? (existsSync(besideDb) ? besideDb : undefined);

  const data: DashboardData = readSqlite(opts.sqlitePath, (db) => {
    const rows: Record<string, readonly Row[]> = {};
    for (const c of model.cards) {
      try {
        rows[c.card.id] = db.all(cardSql(c, 'sqlite'));
      } catch (e) {
        throw new StreamPulseError('DASHBOARD_QUERY_FAILED', `card "${c.card.id}" (${c.mart.mart}): ${(e as Error).message}`, {
          cause: e,
          remedy: 'the serving database does not match the contracts: rebuild it (`streampulse demo`, or `streampulse serve load`)',
        });
      }
    }
    const quality: QualityData =
      reportFile !== undefined
        ? readQualityReport(reportFile)
        : db.has('quality_batches')
          ? qualityFromServingRows(db.all('SELECT * FROM quality_batches ORDER BY batch, dataset'))
          : { source: 'serving database (no quality table)', lines: [] };
    const newest = db.has('serving_marts') ? db.all('SELECT MAX(as_of_batch) AS as_of FROM serving_marts')[0]?.['as_of'] : undefined;
    return { rows, quality, ...(typeof newest === 'string' ? { asOf: newest } : {}) };
  });

  const html = renderDashboardPage(model, data, { chartJs: readFileSync(chartLibraryFile(), 'utf8') });
  ownFolder(opts.outDir, DASHBOARD_OWNER);
  const target = join(opts.outDir, DASHBOARD_PAGE_FILE);
  const tmp = join(opts.outDir, `.${DASHBOARD_PAGE_FILE}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new StreamPulseError('DASHBOARD_WRITE_FAILED', `cannot write ${target}: ${(e as Error).message}`, {
      cause: e,
      remedy: 'pass --out with a folder you can write to',
    });
  }
  return target;
}
