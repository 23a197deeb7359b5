export { parseTemplate, parseExpression, templateExpressions, walkCalls, ExpressionSyntaxError, type Expr, type Template } from './parse.js';
export { evaluateExpr, evaluateTemplate, evaluateDeep, type EvalContext } from './evaluate.js';
export { ExpressionEvalError, stringify, typeName, type Json } from './values.js';
export { FUNCTIONS, FUNCTION_NAMES, functionArity, jsonEquals } from './functions.js';
export { parseTimestamp, formatTimestamp, addUnits, type Timestamp } from './datetime.js';
export { WINDOWS_TIME_ZONE_IDS, windowsZone, utcOffsetMs, type WindowsZone } from './timezone.js';
