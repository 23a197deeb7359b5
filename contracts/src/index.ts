export { StreamPulseError, ContractValidationError, formatIssue, type ContractIssue } from './errors.js';
export * from './model.js';
export {
  parseExpr,
  walkExpr,
  columnRefs,
  isAggregate,
  ExprSyntaxError,
  FUNCTIONS,
  KEYWORDS,
  type Expr,
  type BinaryOp,
  type WindowSpec,
  type FunctionKind,
  type FunctionSignature,
} from './expr.js';
export { analyzeFormula, FORMULA_FUNCTIONS, type AnalyzedFormula, type FormulaRef, type FormulaProblem } from './formula.js';
export { loadContracts, loadContractFiles, loadContractsOrThrow, type LoadResult, type InMemoryFile } from './loader.js';
export { silverColumns, SPINE_COLUMN } from './checks.js';
export { buildLineage, LineageGraph, nodeId, type LineageNode, type LineageEdge, type LineageLayer, type EdgeKind } from './lineage.js';
export {
  diffContracts,
  isWidening,
  DIFF_FIELD_RULES,
  DIFF_LIST_KEYS,
  DIFF_MAP_PATTERNS,
  type ChangeClass,
  type ChangeOp,
  type ChangeImpact,
  type ContractChange,
  type ContractDiff,
  type ContractRef,
  type ContractVerdict,
  type DiffOptions,
  type DiffSide,
  type FieldRule,
  type VersionStatus,
} from './diff.js';
export { YamlSource, fastParseYaml, subsetParseYaml, type Position } from './yaml-source.js';
export { findWorkspaceRoot, STREAMPULSE_CONTRACTS_DIR } from './paths.js';
export { closest, levenshtein } from './suggest.js';
