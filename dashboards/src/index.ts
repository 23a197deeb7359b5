export { dashboardModel, humanize, type DashboardModel, type ResolvedCard, type CardColumn, type CardFilterBinding, type ColumnFormat } from './model.js';
export { cardSql, type CardDialect, type CardSqlOptions } from './card-sql.js';
