export { generateSources, MANIFEST_FILE, type GenerateOptions, type Manifest, type ManifestFile } from './generate.js';
export {
  DEFAULT_DEFECT_RATES,
  NO_DEFECTS,
  DEFECT_KINDS,
  planDefects,
  type DefectKind,
  type DefectRates,
  type InjectedDefect,
  type Expectation,
} from './defects.js';
export { Rng } from './rng.js';
export {
  GenericDataset,
  columnRules,
  fromPattern,
  numericRange,
  poolKey,
  NULL_SHARE,
  type ColumnRules,
  type KeyPool,
  type PoolValue,
} from './generic.js';
export {
  columnText,
  magnitudeOf,
  textKindOf,
  trueShareOf,
  QUANTITIES,
  UNITS,
  TEXT_KINDS,
  FLAGS,
  type ColumnText,
  type Magnitude,
  type Quantity,
  type Unit,
  type TextKind,
  type Flag,
} from './units.js';
export { World, ENTITY_KINDS, type EntityKind, type SourceRecord } from './world/simulate.js';
