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
export { World, ENTITY_KINDS, type EntityKind, type SourceRecord } from './world/simulate.js';
