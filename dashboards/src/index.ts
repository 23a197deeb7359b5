export { dashboardModel, humanize, type DashboardModel, type ResolvedCard, type CardColumn, type CardFilterBinding, type ColumnFormat } from './model.js';
export { cardSql, type CardDialect, type CardSqlOptions } from './card-sql.js';
export {
  metabasePayloads,
  databasePayload,
  collectionPayload,
  cardPayload,
  dashboardPayload,
  fieldKey,
  unresolved,
  isResolved,
  METABASE_DATABASE_NAME,
  METABASE_GRID_WIDTH,
  SQLSERVER_DETAIL_KEYS,
  type MetabasePayloads,
  type DatabaseTarget,
  type DatabasePayload,
  type CollectionPayload,
  type CardPayload,
  type DashboardPayload,
  type Dashcard,
  type Ref,
} from './metabase/payloads.js';
export { diffCard, diffDashboard, diffDatabase, jsonEqual, type PlanItem, type PlanAction, type PlanKind } from './metabase/diff.js';
export { MetabaseClient, type MetabaseClientOptions, type FetchLike, type HttpResponse, type Step } from './metabase/client.js';
export { provisionMetabase, type ProvisionOptions, type ProvisionResult, type SyncOptions } from './metabase/provision.js';
export { renderDashboardPage, inlineLibrary, type DashboardData, type RenderOptions } from './static/page.js';
export { formatValue, formatChange, periodLabel, allMonthStarts, escapeHtml, NO_VALUE, type Change } from './static/format.js';
export { chartSeries, isChart, groupOf, type ChartSeries, type ChartDataset, type ChartAxis, type ChartKind, type Row } from './static/series.js';
export {
  qualityFromReport,
  qualityFromServingRows,
  summarizeQuality,
  type QualityData,
  type QualityLine,
  type QualityFreshness,
  type QualitySummary,
  type DatasetQuality,
} from './static/quality.js';
