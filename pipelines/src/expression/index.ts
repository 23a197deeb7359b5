export { parseTemplate, parseExpression, templateExpressions, walkCalls, ExpressionSyntaxError, type Expr, type Template } from './parse.js';
export { evaluateExpr, evaluateTyped, evaluateTemplate, evaluateDeep, type EvalContext } from './evaluate.js';
export {
  ExpressionEvalError,
  Float,
  XmlValue,
  formatDouble,
  isFloat,
  isInteger,
  jsonText,
  stringify,
  toJson,
  typeName,
  type Json,
  type Value,
} from './values.js';
export { FUNCTIONS, FUNCTION_NAMES, functionArity, functionSpelling, jsonEquals, suggestFunction, unknownFunctionMessage } from './functions.js';
export { parseJsonText } from './json.js';
export { parseTimestamp, formatTimestamp, addUnits, type Timestamp } from './datetime.js';
export { WINDOWS_TIME_ZONE_IDS, windowsZone, utcOffsetMs, type WindowsZone } from './timezone.js';
