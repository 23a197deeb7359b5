/**
 * The Data Factory expression language, tested on the examples of the documented
 * reference ("Expressions and functions in Azure Data Factory and Azure Synapse
 * Analytics"): each case is the documented input and the documented output.
 * Where the documentation's printed output is a typo, the case says so and asserts
 * the value the function actually returns (and the documented text beside it).
 */
import { describe, expect, it } from '@jest/globals';
import {
  evaluateTemplate,
  ExpressionEvalError,
  ExpressionSyntaxError,
  parseExpression,
  evaluateExpr,
  type EvalContext,
  type Json,
} from '@streampulse/pipelines';

// "Say I have defined myNumber as 42 and myString as foo"
const ctx: EvalContext = {
  pipeline: { parameters: { myNumber: 42, myString: 'foo', firstName: 'Ada', lastName: 'Lovelace', subfield3: 'k2' }, RunId: 'run-1', Pipeline: 'pl' },
  // "Suppose today is April 15, 2018 at 1:00:00 PM"
  now: () => new Date('2018-04-15T13:00:00Z'),
  activity: (name) => (name === 'activityName' ? { output: { subfield1: { subfield2: { k1: { subfield4: 'one' }, k2: { subfield4: 'two' } } } } } : undefined),
  variables: (name) => (name === 'companyName' ? 'Contoso-\nCorporation' : undefined),
  item: 2,
};
/** Evaluates a bare expression as the reference writes it (without the leading @). */
const ev = (expr: string, c: EvalContext = ctx): Json => evaluateExpr(parseExpression(expr), c);
const tpl = (text: string, c: EvalContext = ctx): Json => evaluateTemplate(text, c);

describe('templates: literals, @@ escaping and string interpolation (documented table)', () => {
  it.each<[string, Json]>([
    ['parameters', 'parameters'],
    ['parameters[1]', 'parameters[1]'],
    ['@@', '@'],
    [' @', ' @'],
    ['@pipeline().parameters.myString', 'foo'],
    ['@{pipeline().parameters.myString}', 'foo'],
    ['@pipeline().parameters.myNumber', 42],
    ['@{pipeline().parameters.myNumber}', '42'],
    ['Answer is: @{pipeline().parameters.myNumber}', 'Answer is: 42'],
    ["@concat('Answer is: ', string(pipeline().parameters.myNumber))", 'Answer is: 42'],
    ['Answer is: @@{pipeline().parameters.myNumber}', 'Answer is: @{pipeline().parameters.myNumber}'],
    ['First Name: @{pipeline().parameters.firstName} Last Name: @{pipeline().parameters.lastName}', 'First Name: Ada Last Name: Lovelace'],
  ])('%j → %j', (input, output) => {
    expect(tpl(input)).toStrictEqual(output);
  });

  it('the dynamic-content-editor example: interpolation inside a JSON text', () => {
    const text = '{ \n  "type": "@{if(equals(1, 2), \'Blob\', \'Table\' )}",\n  "name": "@{toUpper(\'myData\')}"\n}';
    expect(JSON.parse(tpl(text) as string)).toStrictEqual({ type: 'Table', name: 'MYDATA' });
  });

  it("escaping a single quote with two: @concat('Baba', '''s ', 'book store')", () => {
    expect(tpl("@concat('Baba', '''s ', 'book store')")).toBe("Baba's book store");
  });

  it('a deep sub-field with an indexer from a pipeline parameter', () => {
    expect(tpl("@activity('activityName').output.subfield1.subfield2[pipeline().parameters.subfield3].subfield4")).toBe('two');
  });

  it('replacing special characters through URL encoding (documented companyName example)', () => {
    expect(tpl("@uriComponentToString(replace(uriComponent(variables('companyName')), '%0A', ''))")).toBe('Contoso-Corporation');
  });

  it('item() in a ForEach and range(0,10) iterating ten times from 0 to 9', () => {
    expect(tpl('@item()')).toBe(2);
    expect(tpl('@range(0,10)')).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("dynamic file name: @concat('Test_', formatDateTime(utcnow(), 'yyyy-dd-MM'))", () => {
    expect(tpl("@concat('Test_',  formatDateTime(utcnow(), 'yyyy-dd-MM'))")).toBe('Test_2018-15-04');
  });
});

describe('function reference: documented examples', () => {
  it.each<[string, Json]>([
    // string functions
    ["concat('Hello', 'World')", 'HelloWorld'],
    ["endsWith('hello world', 'world')", true],
    ["endsWith('hello world', 'universe')", false],
    ["indexOf('hello world', 'world')", 6],
    ["lastIndexOf('hello world', 'world')", 6],
    ["replace('the old string', 'old', 'new')", 'the new string'],
    ["split('a_b_c', '_')", ['a', 'b', 'c']],
    ["startsWith('hello world', 'hello')", true],
    ["startsWith('hello world', 'greetings')", false],
    ["substring('hello world', 6, 5)", 'world'],
    ["toLower('Hello World')", 'hello world'],
    ["toUpper('Hello World')", 'HELLO WORLD'],
    ["trim(' Hello World  ')", 'Hello World'],
    // collection functions
    ["contains('hello world', 'world')", true],
    ["contains('hello world', 'universe')", false],
    ["empty('')", true],
    ["empty('abc')", false],
    ["first('hello')", 'h'],
    ['first(createArray(0, 1, 2))', 0],
    ['intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))', [1, 2]],
    ["join(createArray('a', 'b', 'c'), '.')", 'a.b.c'],
    ["last('abcd')", 'd'],
    ['last(createArray(0, 1, 2, 3))', 3],
    ["length('abcd')", 4],
    ['length(createArray(0, 1, 2, 3))', 4],
    ['skip(createArray(0, 1, 2, 3), 1)', [1, 2, 3]],
    ["take('abcde', 3)", 'abc'],
    ['take(createArray(0, 1, 2, 3, 4), 3)', [0, 1, 2]],
    ['union(createArray(1, 2, 3), createArray(1, 2, 10, 101))', [1, 2, 3, 10, 101]],
    // logical functions
    ['and(true, true)', true],
    ['and(false, true)', false],
    ['and(false, false)', false],
    ['and(equals(1, 1), equals(2, 2))', true],
    ['and(equals(1, 1), equals(1, 2))', false],
    ['and(equals(1, 2), equals(1, 3))', false],
    ['equals(true, 1)', true],
    ["equals('abc', 'abcd')", false],
    ['greater(10, 5)', true],
    ["greater('apple', 'banana')", false],
    ['greaterOrEquals(5, 5)', true],
    ["greaterOrEquals('apple', 'banana')", false],
    ["if(equals(1, 1), 'yes', 'no')", 'yes'],
    ['less(5, 10)', true],
    ["less('banana', 'apple')", false],
    ['lessOrEquals(10, 10)', true],
    ["lessOrEquals('apply', 'apple')", false],
    ['not(false)', true],
    ['not(true)', false],
    ['not(equals(1, 2))', true],
    ['not(equals(1, 1))', false],
    ['or(true, false)', true],
    ['or(false, false)', false],
    ['or(equals(1, 1), equals(1, 2))', true],
    ['or(equals(1, 2), equals(1, 3))', false],
    // conversion functions
    ["array('hello')", ['hello']],
    ["base64('hello')", 'aGVsbG8='],
    ["base64ToString('aGVsbG8=')", 'hello'],
    ["decodeBase64('aGVsbG8=')", 'hello'],
    ["binary('hello')", '0110100001100101011011000110110001101111'],
    ['bool(1)', true],
    ['bool(0)', false],
    ['coalesce(null, true, false)', true],
    ["coalesce(null, 'hello', 'world')", 'hello'],
    ['coalesce(null, null, null)', null],
    ["createArray('h', 'e', 'l', 'l', 'o')", ['h', 'e', 'l', 'l', 'o']],
    ["dataUri('hello')", 'data:text/plain;charset=utf-8;base64,aGVsbG8='],
    ["dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", 'hello'],
    ["float('10.333')", 10.333],
    ["int('10')", 10],
    ["json('[1, 2, 3]')", [1, 2, 3]],
    ['json(\'{"fullName": "Sophia Owen"}\')', { fullName: 'Sophia Owen' }],
    ['string(10)', '10'],
    ["uriComponentToString('http%3A%2F%2Fcontoso.com')", 'http://contoso.com'],
    // math functions
    ['add(1, 1.5)', 2.5],
    ['div(10, 5)', 2],
    ['div(11, 5)', 2],
    ['max(1, 2, 3)', 3],
    ['max(createArray(1, 2, 3))', 3],
    ['min(1, 2, 3)', 1],
    ['min(createArray(1, 2, 3))', 1],
    ['mod(3, 2)', 1],
    ['mul(1, 2)', 2],
    ['mul(1.5, 2)', 3],
    ['range(1, 4)', [1, 2, 3, 4]],
    ['sub(10.3, .3)', 10],
    // date functions
    ["addMinutes('2018-03-15T00:10:00Z', 10)", '2018-03-15T00:20:00.0000000Z'],
    ["addMinutes('2018-03-15T00:20:00Z', -5)", '2018-03-15T00:15:00.0000000Z'],
    ["addSeconds('2018-03-15T00:00:00Z', 10)", '2018-03-15T00:00:10.0000000Z'],
    ["addSeconds('2018-03-15T00:00:30Z', -5)", '2018-03-15T00:00:25.0000000Z'],
    ["addToTime('2018-01-01T00:00:00Z', 1, 'Day')", '2018-01-02T00:00:00.0000000Z'],
    ["addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", 'Tuesday, January 2, 2018'],
    ["dayOfMonth('2018-03-15T13:27:36Z')", 15],
    ["dayOfWeek('2018-03-15T13:27:36Z')", 4 /* see the note below */],
    ["dayOfYear('2018-03-15T13:27:36Z')", 74],
    ["formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", '2018-03-15T12:00:00'],
    ["startOfDay('2018-03-15T13:30:30Z')", '2018-03-15T00:00:00.0000000Z'],
    ["startOfHour('2018-03-15T13:30:30Z')", '2018-03-15T13:00:00.0000000Z'],
    ["startOfMonth('2018-03-15T13:30:30Z')", '2018-03-01T00:00:00.0000000Z'],
    ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')", 'Monday, January 1, 2018'],
    // "Suppose today is April 15, 2018 at 1:00:00 PM"
    ['utcNow()', '2018-04-15T13:00:00.0000000Z'],
    ["utcNow('D')", 'Sunday, April 15, 2018'],
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toStrictEqual(output);
  });

  it('getFutureTime / getPastTime, "suppose the current timestamp is …"', () => {
    const march = { ...ctx, now: () => new Date('2018-03-01T00:00:00Z') };
    expect(ev("getFutureTime(5, 'Day')", march)).toBe('2018-03-06T00:00:00.0000000Z');
    expect(ev("getFutureTime(5, 'Day', 'D')", march)).toBe('Tuesday, March 6, 2018');
    const feb = { ...ctx, now: () => new Date('2018-02-01T00:00:00Z') };
    expect(ev("getPastTime(5, 'Day')", feb)).toBe('2018-01-27T00:00:00.0000000Z');
    expect(ev("getPastTime(5, 'Day', 'D')", feb)).toBe('Saturday, January 27, 2018');
  });

  it("guid('P') wraps the GUID in parentheses", () => {
    expect(ev("guid('P')", { ...ctx, guid: () => 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce' })).toBe('(c2ecc88d-88c8-4096-912c-d6f2e2b138ce)');
  });

  // Documented outputs that are typos in the reference: the real value, with the printed one beside it.
  it.each<[string, string, string]>([
    // printed "2018-03-25T00:00:0000000Z": the hour is lost and the '.' is missing; 13:00 + 10 days stays 13:00
    ["addDays('2018-03-15T13:00:00Z', 10)", '2018-03-25T13:00:00.0000000Z', '2018-03-25T00:00:0000000Z'],
    // printed "2018-03-10T00:00:0000000Z": the '.' before the fraction is missing
    ["addDays('2018-03-15T00:00:00Z', -5)", '2018-03-10T00:00:00.0000000Z', '2018-03-10T00:00:0000000Z'],
    ["addHours('2018-03-15T00:00:00Z', 10)", '2018-03-15T10:00:00.0000000Z', '2018-03-15T10:00:0000000Z'],
    ["addHours('2018-03-15T15:00:00Z', -5)", '2018-03-15T10:00:00.0000000Z', '2018-03-15T10:00:0000000Z'],
    // printed "2018-01-01T00:00:00:0000000Z" (':' for '.')
    ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", '2018-01-01T00:00:00.0000000Z', '2018-01-01T00:00:00:0000000Z'],
    // printed 3: 2018-03-15 was a Thursday, and the reference itself says Sunday is 0
    ["dayOfWeek('2018-03-15T13:27:36Z')", '4', '3'],
  ])('%s → %s (the reference prints %s)', (expr, actual, printed) => {
    const v = ev(expr);
    expect(String(v)).toBe(actual);
    expect(String(v)).not.toBe(printed);
  });
});

describe('errors: position and what was expected', () => {
  const syntax = (text: string): ExpressionSyntaxError => {
    try {
      evaluateTemplate(text, ctx);
    } catch (e) {
      if (e instanceof ExpressionSyntaxError) return e;
      throw e;
    }
    throw new Error(`no syntax error for ${text}`);
  };
  it.each<[string, string]>([
    [
      "@concat('a', 'b'",
      `expression syntax error at column 17: expected ',' or ')' in the arguments of concat(), found the end of the expression in "@concat('a', 'b'"`,
    ],
    ["@concat('a' 'b')", `expression syntax error at column 13: expected ',' or ')' in the arguments of concat(), found the string 'b' in "@concat('a' 'b')"`],
    ["@concat('a)", `expression syntax error at column 12: expected a closing quote ('), found the end of the expression in "@concat('a)"`],
    [
      '@pipeline().parameters.',
      `expression syntax error at column 24: expected a property name after '.', found the end of the expression in "@pipeline().parameters."`,
    ],
    ['@pipeline', `expression syntax error at column 10: expected '(' after the function name 'pipeline', found the end of the expression in "@pipeline"`],
    ["x @{toUpper('a')", `expression syntax error at column 17: expected '}' to close '@{', found the end of the text in "x @{toUpper('a')"`],
    ['@', `expression syntax error at column 2: expected an expression, found the end of the expression in "@"`],
    ['@equals(1, 2) x', `expression syntax error at column 15: expected the end of the expression (or '.', '[' after a value), found 'x' in "@equals(1, 2) x"`],
    ['@add(1, #)', `expression syntax error at column 9: expected a function call, a literal or an accessor, found '#' in "@add(1, #)"`],
  ])('%j', (text, message) => {
    const e = syntax(text);
    expect(e.message).toBe(message);
    expect(e.code).toBe('ADF_EXPRESSION_SYNTAX');
  });

  it('an unknown function names itself and its column', () => {
    expect(() => tpl("@concat('a', toTitle('b'))")).toThrow(new ExpressionEvalError(14, "unknown function 'toTitle'", ''));
  });

  it('wrong argument counts and types say what the function takes', () => {
    expect(() => ev("substring('abc')")).toThrow('substring() takes 2 to 3 argument(s), got 1');
    expect(() => ev("add(1, 'a')")).toThrow('add(): the second summand must be a number, got String');
    expect(() => ev("int('ten')")).toThrow("int(): 'ten' is not an integer");
    expect(() => ev("substring('hello', 3, 5)")).toThrow('start index 3 and length 5 are out of range for a string of length 5');
    expect(() => ev("formatDateTime('yesterday')")).toThrow("formatDateTime(): 'yesterday' is not a timestamp");
  });

  it('missing properties and context say what exists', () => {
    expect(() => ev('pipeline().parameters.nope')).toThrow("property 'nope' does not exist; available: myNumber, myString, firstName, lastName, subfield3");
    expect(ev('pipeline().parameters?.nope')).toBeNull();
    expect(() => ev("activity('Nope').output")).toThrow("activity 'Nope' has not run");
    expect(() => ev('item()', { pipeline: {} })).toThrow('item(): is only available inside a ForEach activity');
  });
});
