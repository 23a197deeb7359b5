export {
  DIALECTS,
  TYPE_MAP,
  TSQL_DEFAULT_STRING_LENGTH,
  mapType,
  quoteIdent,
  stringLiteral,
  booleanLiteral,
  dateLiteral,
  type Dialect,
  type TypeOptions,
} from './dialect.js';
export { FUNCTION_TABLE, TRUNC_UNITS, type Cell, type Renderer, type Unsupported } from './functions.js';
export { renderValue, renderPredicate, UnsupportedSqlError, type RenderContext } from './render.js';
export { sqliteServingDdl, writeSqliteServing, type MartRows, type QualityRow } from './serving-sqlite.js';
