/**
 * The Data Factory expression language, tested on the examples of the documented
 * reference ("Expressions and functions in Azure Data Factory and Azure Synapse
 * Analytics", Microsoft Learn, data-factory/control-flow-expression-language-functions):
 * each case is the documented input and the documented output, grouped as the reference
 * groups its functions. Where the documentation's printed output is a typo, the case says
 * so and asserts the value the function actually returns (and the documented text beside it).
 * The service itself is not reachable here: these tests encode its documented contract.
 */
import { describe, expect, it } from '@jest/globals';
import {
  evaluateTemplate,
  evaluateTyped,
  ExpressionEvalError,
  ExpressionSyntaxError,
  FUNCTIONS,
  FUNCTION_NAMES,
  parseExpression,
  evaluateExpr,
  parseJsonText,
  stringify,
  suggestFunction,
  toJson,
  typeName,
  type EvalContext,
  type Json,
  type Value,
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
/** Evaluates a bare expression as the reference writes it (without the leading @), as plain JSON. */
const ev = (expr: string, c: EvalContext = ctx): Json => evaluateExpr(parseExpression(expr), c);
/** The typed value (Integer/Float kept apart, XML values). */
const typed = (expr: string, c: EvalContext = ctx): Value => evaluateTyped(parseExpression(expr), c);
/** `[type, plain value]` of an expression, e.g. ['Float', 2.5]. */
const tv = (expr: string, c: EvalContext = ctx): [string, Json] => {
  const v = typed(expr, c);
  return [typeName(v), toJson(v)];
};
/** An expression as written in a pipeline's JSON (code view: \\" for a double quote), decoded as Data Factory reads it. */
const codeView = (jsonStringBody: string): string => JSON.parse(`"${jsonStringBody}"`) as string;
/** The documented bit strings are printed over several lines. */
const bits = (printed: string): string => printed.replace(/\s/g, '');
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

describe('string functions: documented examples', () => {
  it.each<[string, Json]>([
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
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toStrictEqual(output);
  });

  it("guid('P') wraps the GUID in parentheses (the documented GUID, injected)", () => {
    expect(ev("guid('P')", { ...ctx, guid: () => 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce' })).toBe('(c2ecc88d-88c8-4096-912c-d6f2e2b138ce)');
    expect(ev('guid()', { ...ctx, guid: () => 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce' })).toBe('c2ecc88d-88c8-4096-912c-d6f2e2b138ce');
  });
});

describe('collection functions: documented examples', () => {
  it.each<[string, Json]>([
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
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toStrictEqual(output);
  });
});

describe('logical functions: documented examples', () => {
  it.each<[string, Json]>([
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
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toStrictEqual(output);
  });
});

describe('conversion functions: documented examples', () => {
  it.each<[string, Json]>([
    ["array('hello')", ['hello']],
    ["base64('hello')", 'aGVsbG8='],
    ["base64ToString('aGVsbG8=')", 'hello'],
    ["decodeBase64('aGVsbG8=')", 'hello'],
    ["binary('hello')", '0110100001100101011011000110110001101111'],
    ["base64ToBinary('aGVsbG8=')", '0110000101000111010101100111001101100010010001110011100000111101'],
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
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toStrictEqual(output);
  });

  // The documented "binary version" of a data URI is printed over four lines.
  const DATA_URI_BITS = bits(`01100100011000010111010001100001001110100111010001100101011110000111010000101111011100000
1101100011000010110100101101110001110110110001101101000011000010111001001110011011001010111
0100001111010111010101110100011001100010110100111000001110110110001001100001011100110110010
10011011000110100001011000110000101000111010101100111001101100010010001110011100000111101`);

  it.each<[string, string]>([
    ["dataUriToBinary('data:text/plain;charset=utf-8;base64,aGVsbG8=')", DATA_URI_BITS],
    ["decodeDataUri('data:text/plain;charset=utf-8;base64,aGVsbG8=')", DATA_URI_BITS],
    [
      "uriComponentToBinary('http%3A%2F%2Fcontoso.com')",
      bits(`001000100110100001110100011101000111000000100101001100
11010000010010010100110010010001100010010100110010010001
10011000110110111101101110011101000110111101110011011011
110010111001100011011011110110110100100010`),
    ],
  ])('%s → the documented bit string', (expr, output) => {
    expect(ev(expr)).toBe(output);
  });

  it('string( { "name": "Sophie Owen" } ): an object\'s JSON text (the reference\'s object is not an expression; json() makes it)', () => {
    expect(ev('string(json(\'{ "name": "Sophie Owen" }\'))')).toBe('{"name":"Sophie Owen"}');
  });
});

describe('math functions: documented examples, with the type the service keeps', () => {
  it.each<[string, Json, 'Integer' | 'Float']>([
    // "add(1, 1.5) … returns this result: 2.5"
    ['add(1, 1.5)', 2.5, 'Float'],
    // "Return the integer result from dividing two numbers": div(10, 5) and div(11, 5) are 2
    ['div(10, 5)', 2, 'Integer'],
    ['div(11, 5)', 2, 'Integer'],
    ['max(1, 2, 3)', 3, 'Integer'],
    ['max(createArray(1, 2, 3))', 3, 'Integer'],
    ['min(1, 2, 3)', 1, 'Integer'],
    ['min(createArray(1, 2, 3))', 1, 'Integer'],
    ['mod(3, 2)', 1, 'Integer'],
    ['mul(1, 2)', 2, 'Integer'],
    // "mul(1.5, 2) … Second example 3": a Float, whole
    ['mul(1.5, 2)', 3, 'Float'],
    // "sub(10.3, .3) … returns this result: 10"
    ['sub(10.3, .3)', 10, 'Float'],
  ])('%s → %j (%s)', (expr, output, type) => {
    expect(tv(expr)).toStrictEqual([type, output]);
  });

  it('range(1, 4) → [1, 2, 3, 4], Integers', () => {
    expect(ev('range(1, 4)')).toStrictEqual([1, 2, 3, 4]);
    expect(typeName(typed('first(range(1, 4))'))).toBe('Integer');
  });

  it('rand(1, 5) "returns one of these numbers as the result: 1, 2, 3, or 4" (random source injected)', () => {
    const at = (r: number): Json => ev('rand(1, 5)', { ...ctx, random: () => r });
    expect([0, 0.25, 0.5, 0.75, 0.999999].map(at)).toStrictEqual([1, 2, 3, 4, 4]);
    const seen = new Set<Json>();
    for (let i = 0; i < 200; i++) seen.add(at(i / 200));
    expect([...seen].sort()).toStrictEqual([1, 2, 3, 4]);
    expect(typeName(typed('rand(1, 5)', { ...ctx, random: () => 0.3 }))).toBe('Integer');
    expect(() => ev('rand(5, 5)')).toThrow('rand(): the maximum value 5 must be greater than the minimum value 5');
    expect(() => ev('rand(1.0, 5)')).toThrow('rand(): the minimum value must be an Integer, got Float 1');
  });
});

describe('Integer and Float: a literal with a decimal point is a Float, and the functions keep the type', () => {
  it.each<[string, Json, 'Integer' | 'Float']>([
    ['10', 10, 'Integer'],
    ['10.0', 10, 'Float'],
    ['.3', 0.3, 'Float'],
    // div: two Integers divide as integers (truncating), a Float operand as floating point
    ['div(10, 4)', 2, 'Integer'],
    ['div(10.0, 4)', 2.5, 'Float'],
    ['div(10, 4.0)', 2.5, 'Float'],
    ['div(-7, 2)', -3, 'Integer'],
    ['add(2, 3)', 5, 'Integer'],
    ['add(2.0, 3)', 5, 'Float'],
    ['sub(5, 2)', 3, 'Integer'],
    ['sub(5.0, 2)', 3, 'Float'],
    ['mul(4, 2)', 8, 'Integer'],
    ['mul(4.0, 2)', 8, 'Float'],
    ['mod(7, 3)', 1, 'Integer'],
    ['mod(-7, 3)', -1, 'Integer'],
    ['mod(7.5, 2)', 1.5, 'Float'],
    ['max(1, 2.0)', 2, 'Float'],
    ['max(1.5, 2)', 2, 'Integer'],
    ['min(createArray(3, 1.0, 2))', 1, 'Float'],
    // conversions
    ["int('10')", 10, 'Integer'],
    ['int(10.7)', 10, 'Integer'],
    ["float('10')", 10, 'Float'],
    ['float(3)', 3, 'Float'],
    ['json(\'{"a": 1.0}\').a', 1, 'Float'],
    ['json(\'{"a": 1}\').a', 1, 'Integer'],
    ["json('[2.5e1]')[0]", 25, 'Float'],
    ["length('abc')", 3, 'Integer'],
  ])('%s → %j (%s)', (expr, output, type) => {
    expect(tv(expr)).toStrictEqual([type, output]);
  });

  it.each<[string, string]>([
    // a Float is written as .NET writes a double: no '.0' in string(), shortest round trip
    ["string(float('10'))", '10'],
    ["string(float('10.333'))", '10.333'],
    ['string(div(10.0, 4))', '2.5'],
    ['string(div(1.0, 3))', '0.3333333333333333'],
    ['string(mul(1.0, 1000000000000000))', '1E+15'],
    ['string(div(1.0, 100000))', '1E-05'],
    ['string(div(1.0, 10000))', '0.0001'],
    // JSON text keeps the Float's decimal place, as the service's JSON writer does
    ['string(json(\'{"a": 1.0, "b": [1, 2.5]}\'))', '{"a":1.0,"b":[1,2.5]}'],
    ['string(createArray(1, 1.0))', '[1,1.0]'],
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toBe(output);
  });

  it('equals and comparisons compare an Integer with a Float by value', () => {
    expect(ev('equals(1, 1.0)')).toBe(true);
    expect(ev('greater(2.5, 2)')).toBe(true);
    expect(ev('contains(createArray(1, 2), 2.0)')).toBe(true);
  });

  it('a Float is refused where an Integer is required, even when whole', () => {
    expect(() => ev("substring('hello', 1.0, 2)")).toThrow('substring(): the start index must be an Integer, got Float 1');
    expect(() => ev("take(createArray(1, 2), float('1'))")).toThrow('take(): the count must be an Integer, got Float 1');
    expect(() => ev('range(0, 2.5)')).toThrow('range(): the count must be an Integer, got Float 2.5');
    expect(() => ev("addDays('2018-03-15T00:00:00Z', 1.0)")).toThrow('addDays(): the interval must be an Integer, got Float 1');
    expect(() => ev('createArray(1, 2)[1.0]')).toThrow('an index must be a String or an Integer, got Float');
  });

  it('values that reach JSON (templates, the executor) are plain JSON numbers', () => {
    expect(tpl('@div(10.0, 4)')).toBe(2.5);
    expect(tpl("@float('10')")).toBe(10);
    expect(tpl('@json(\'{"a": [1.0, 2]}\')')).toStrictEqual({ a: [1, 2] });
    expect(tpl('@{div(10.0, 4)} and @{div(10, 4)}')).toBe('2.5 and 2');
    expect(JSON.stringify(tpl('@createArray(mul(1.5, 2))'))).toBe('[3]');
  });

  it('json() reads JSON as the service does: Floats kept, single quotes accepted, errors placed', () => {
    expect(stringify(parseJsonText("{'a': 'b', \"c\": [true, null, -0.5]}"))).toBe('{"a":"b","c":[true,null,-0.5]}');
    expect(() => ev('json(\'{"a": }\')')).toThrow("json(): the string is not valid JSON (expected a JSON value, found '}' at character 7)");
    expect(ev('json(null)')).toStrictEqual({});
  });
});

describe('xml and xpath: documented examples', () => {
  // The 'items' XML of the xpath examples ("Following on Example 1" in the Data Factory
  // reference; the XML itself is printed in Example 1 of the same function in the
  // Workflow Definition Language reference of Logic Apps, whose engine evaluates these expressions).
  const ITEMS =
    '<?xml version="1.0"?> <produce> <item> <name>Gala</name> <type>apple</type> <count>20</count> </item> <item> <name>Honeycrisp</name> <type>apple</type> <count>10</count> </item> </produce>';
  const ITEMS_EXPIRED = ITEMS.replace('<name>Gala', "<name expired='true'>Gala").replace('<name>Honeycrisp', "<name expired='false'>Honeycrisp");
  const HTTP = '<?xml version="1.0"?> <file xmlns="http://contoso.com"> <location>Paris</location> </file>';
  const xctx: EvalContext = {
    ...ctx,
    activity: (name) => (name === 'Http' ? { output: { body: HTTP } } : undefined),
    pipeline: { parameters: { items: ITEMS, itemsExpired: ITEMS_EXPIRED } },
  };
  const xv = (expr: string): Value => evaluateTyped(parseExpression(expr), xctx);
  const xs = (expr: string): string => stringify(xv(expr));

  it('xml(json(\'{ \\"name\\": \\"Sophia Owen\\" }\')) → <name>Sophia Owen</name> (Example 1, as written in code view)', () => {
    const expr = codeView(String.raw`xml(json('{ \"name\": \"Sophia Owen\" }'))`);
    expect(expr).toBe('xml(json(\'{ "name": "Sophia Owen" }\'))');
    const v = xv(expr);
    expect(typeName(v)).toBe('XML');
    expect(stringify(v)).toBe('<name>Sophia Owen</name>');
  });

  it('xml(json(…person…)) → <person><name>Sophia Owen</name><city>Seattle</city></person> (Example 2; the reference prints it indented and closes with <person>)', () => {
    const expr = codeView(String.raw`xml(json('{\"person\": {\"name\": \"Sophia Owen\", \"city\": \"Seattle\"}}'))`);
    const printed = '<person>\n  <name>Sophia Owen</name>\n  <city>Seattle</city>\n<person>';
    expect(xs(expr)).toBe('<person><name>Sophia Owen</name><city>Seattle</city></person>');
    expect(xs(expr)).not.toBe(printed);
    // the same element structure as the printed text, once its closing-tag typo is fixed
    expect(xs(expr)).toBe(printed.replace(/\n\s*/g, '').replace(/<person>$/, '</person>'));
  });

  it("xml('<name>Sophia Owen</name>') keeps XML text as XML; json(xml) converts it back", () => {
    expect(xs("xml('<name>Sophia Owen</name>')")).toBe('<name>Sophia Owen</name>');
    expect(ev("json(xml('<name>Sophia Owen</name>'))")).toStrictEqual({ name: 'Sophia Owen' });
  });

  it("xpath(xml(parameters('items')), '/produce/item/name') → [ <name>Gala</name>, <name>Honeycrisp</name> ]: an array of XML nodes", () => {
    const v = xv("xpath(xml(pipeline().parameters.items), '/produce/item/name')");
    expect(Array.isArray(v)).toBe(true);
    expect((v as Value[]).map((n) => [typeName(n), stringify(n)])).toStrictEqual([
      ['XML', '<name>Gala</name>'],
      ['XML', '<name>Honeycrisp</name>'],
    ]);
    // in JSON outputs a node is XML content: {"$content-type", "$content": base64 of its text}
    expect(tpl("@xpath(xml(pipeline().parameters.items), '/produce/item/name')", xctx)).toStrictEqual([
      { '$content-type': 'application/xml;charset=utf-8', $content: Buffer.from('<name>Gala</name>').toString('base64') },
      { '$content-type': 'application/xml;charset=utf-8', $content: Buffer.from('<name>Honeycrisp</name>').toString('base64') },
    ]);
    // … which xml(), json() and xpath() read back as XML (e.g. one activity's output read by another)
    const nodes = tpl("@xpath(xml(pipeline().parameters.items), '/produce/item/name')", xctx) as Json[];
    const back: EvalContext = { ...xctx, activity: (name) => (name === 'Names' ? { output: { value: nodes } } : undefined) };
    expect(ev("json(activity('Names').output.value[1])", back)).toStrictEqual({ name: 'Honeycrisp' });
    expect(ev("xpath(activity('Names').output.value[0], 'string(/name)')", back)).toBe('Gala');
    expect(stringify(evaluateTyped(parseExpression("xml(activity('Names').output.value[0])"), back))).toBe('<name>Gala</name>');
  });

  it("xpath(xml(parameters('items')), 'sum(/produce/item/count)') → 30 (an XPath number: the Float 30)", () => {
    expect(tv("xpath(xml(pipeline().parameters.items), 'sum(/produce/item/count)')", xctx)).toStrictEqual(['Float', 30]);
  });

  it('attribute values: //name[@expired] → the name nodes with the attribute (the reference prints their values, [ Gala, Honeycrisp ]); @expired → the values', () => {
    expect((xv("xpath(xml(pipeline().parameters.itemsExpired), '//name[@expired]')") as Value[]).map((n) => stringify(n))).toStrictEqual([
      '<name expired="true">Gala</name>',
      '<name expired="false">Honeycrisp</name>',
    ]);
    expect(xv("xpath(xml(pipeline().parameters.itemsExpired), 'string(//name[@expired])')")).toBe('Gala');
    expect(ev("xpath(xml(pipeline().parameters.itemsExpired), '//name/@expired')", xctx)).toStrictEqual(['true', 'false']);
    expect(ev("xpath(xml(pipeline().parameters.itemsExpired), '/produce/item/name/text()')", xctx)).toStrictEqual(['Gala', 'Honeycrisp']);
    // one matching node is an array of one (the reference's "[ Gala ]" for //name[@expired = 'true'])
    expect((xv("xpath(xml(pipeline().parameters.itemsExpired), '//name[@expired = ''true'']')") as Value[]).map((n) => stringify(n))).toStrictEqual([
      '<name expired="true">Gala</name>',
    ]);
  });

  it('XML with a namespace: both documented XPath expressions find <location xmlns="http://contoso.com">Paris</location> (the reference prints https:// for the http:// of its input)', () => {
    const e1 = codeView(String.raw`xpath(xml(activity('Http').output.body), '/*[name()=\"file\"]/*[name()=\"location\"]')`);
    const e2 = codeView(
      String.raw`xpath(xml(activity('Http').output.body), '/*[local-name()=\"file\" and namespace-uri()=\"http://contoso.com\"]/*[local-name()=\"location\"]')`,
    );
    for (const e of [e1, e2]) {
      const v = xv(e) as Value[];
      expect(v.map((n) => stringify(n))).toStrictEqual(['<location xmlns="http://contoso.com">Paris</location>']);
      expect(stringify(v[0])).not.toBe('<location xmlns="https://contoso.com">Paris</location>');
    }
  });

  it('xpath(…, \'string(/*[name()="file"]/*[name()="location"])\') → "Paris" (Example 3)', () => {
    const e = codeView(String.raw`xpath(xml(activity('Http').output.body), 'string(/*[name()=\"file\"]/*[name()=\"location\"])')`);
    expect(xv(e)).toBe('Paris');
  });

  it('json(xml(…)): the XML declaration as "?xml", attributes as "@id", elements as properties', () => {
    // The reference's own expression quotes id='1' inside a single-quoted string (not
    // parseable: the quote ends the string); written here with id="1", the same XML.
    const xml = '<?xml version="1.0"?> <root> <person id="1"> <name>Sophia Owen</name> <occupation>Engineer</occupation> </person> </root>';
    const got = ev(`json(xml('${xml}'))`);
    expect(got).toStrictEqual({ '?xml': { '@version': '1.0' }, root: { person: { '@id': '1', name: 'Sophia Owen', occupation: 'Engineer' } } });
    // The reference prints "person": [ { … } ] — an array for the one person; the converter
    // (Newtonsoft.Json's SerializeXmlNode) makes an array of repeated elements only:
    const printed = { '?xml': { '@version': '1.0' }, root: { person: [{ '@id': '1', name: 'Sophia Owen', occupation: 'Engineer' }] } };
    expect(got).not.toStrictEqual(printed);
    const two = xml.replace('</person> </root>', '</person> <person id="2"> <name>Alan</name> </person> </root>');
    expect(ev(`json(xml('${two}'))`)).toStrictEqual({
      '?xml': { '@version': '1.0' },
      root: {
        person: [
          { '@id': '1', name: 'Sophia Owen', occupation: 'Engineer' },
          { '@id': '2', name: 'Alan' },
        ],
      },
    });
  });

  it('xml(<JSON>) follows the converter: one root property, @attributes, #text, arrays repeat, null is empty', () => {
    expect(xs('xml(json(\'{"a": {"@id": 7, "b": [1, 2.5], "c": null, "d": true, "#text": "t"}}\'))')).toBe('<a id="7"><b>1</b><b>2.5</b><c /><d>true</d>t</a>');
    expect(xs('xml(json(\'{"?xml": {"@version": "1.0"}, "a": "x"}\'))')).toBe('<?xml version="1.0"?><a>x</a>');
    expect(() => xv('xml(json(\'{"a": 1, "b": 2}\'))')).toThrow('xml(): the JSON object has 2 root properties (a, b); XML needs exactly one root element');
    expect(() => xv('xml(json(\'{"a": [1, 2]}\'))')).toThrow("xml(): the root property 'a' is an array");
    expect(() => xv("xml('<a><b></a>')")).toThrow('xml(): ');
    expect(() => xv("xpath(xml('<a/>'), '//[')")).toThrow("xpath(): '//[' is not an XPath expression");
    expect(() => xv("xpath(1, '/a')")).toThrow('xpath(): the first argument must be XML, got Integer');
  });
});

describe('date functions: documented examples (time zones: expression-timezone.test.ts)', () => {
  it.each<[string, Json]>([
    ["addMinutes('2018-03-15T00:10:00Z', 10)", '2018-03-15T00:20:00.0000000Z'],
    ["addMinutes('2018-03-15T00:20:00Z', -5)", '2018-03-15T00:15:00.0000000Z'],
    ["addSeconds('2018-03-15T00:00:00Z', 10)", '2018-03-15T00:00:10.0000000Z'],
    ["addSeconds('2018-03-15T00:00:30Z', -5)", '2018-03-15T00:00:25.0000000Z'],
    ["addToTime('2018-01-01T00:00:00Z', 1, 'Day')", '2018-01-02T00:00:00.0000000Z'],
    ["addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", 'Tuesday, January 2, 2018'],
    ["dayOfMonth('2018-03-15T13:27:36Z')", 15],
    ["dayOfYear('2018-03-15T13:27:36Z')", 74],
    ["formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", '2018-03-15T12:00:00'],
    ["startOfDay('2018-03-15T13:30:30Z')", '2018-03-15T00:00:00.0000000Z'],
    ["startOfHour('2018-03-15T13:30:30Z')", '2018-03-15T13:00:00.0000000Z'],
    ["startOfMonth('2018-03-15T13:30:30Z')", '2018-03-01T00:00:00.0000000Z'],
    // "Suppose today is April 15, 2018 at 1:00:00 PM" (the injected clock)
    ['utcNow()', '2018-04-15T13:00:00.0000000Z'],
    ["utcNow('D')", 'Sunday, April 15, 2018'],
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toStrictEqual(output);
  });

  it('getFutureTime / getPastTime, "suppose the current timestamp is …" (the injected clock)', () => {
    const march = { ...ctx, now: () => new Date('2018-03-01T00:00:00Z') };
    expect(ev("getFutureTime(5, 'Day')", march)).toBe('2018-03-06T00:00:00.0000000Z');
    expect(ev("getFutureTime(5, 'Day', 'D')", march)).toBe('Tuesday, March 6, 2018');
    const feb = { ...ctx, now: () => new Date('2018-02-01T00:00:00Z') };
    expect(ev("getPastTime(5, 'Day')", feb)).toBe('2018-01-27T00:00:00.0000000Z');
    expect(ev("getPastTime(5, 'Day', 'D')", feb)).toBe('Saturday, January 27, 2018');
  });

  it('ticks: "a tick is a 100-nanosecond interval" since 0001-01-01 (.NET DateTime.Ticks; the reference gives no example)', () => {
    expect(tv("ticks('2018-01-01T00:00:00Z')")).toStrictEqual(['Integer', 636503616000000000]);
  });
});

describe('documented outputs that are typos in the reference: the real value, with the printed one beside it', () => {
  it.each<[string, string, string]>([
    // printed "2018-03-25T00:00:0000000Z": the hour is lost and the '.' is missing; 13:00 + 10 days stays 13:00
    ["addDays('2018-03-15T13:00:00Z', 10)", '2018-03-25T13:00:00.0000000Z', '2018-03-25T00:00:0000000Z'],
    // printed "2018-03-10T00:00:0000000Z": the '.' before the fraction is missing
    ["addDays('2018-03-15T00:00:00Z', -5)", '2018-03-10T00:00:00.0000000Z', '2018-03-10T00:00:0000000Z'],
    ["addHours('2018-03-15T00:00:00Z', 10)", '2018-03-15T10:00:00.0000000Z', '2018-03-15T10:00:0000000Z'],
    ["addHours('2018-03-15T15:00:00Z', -5)", '2018-03-15T10:00:00.0000000Z', '2018-03-15T10:00:0000000Z'],
    // printed "2018-01-01T00:00:00:0000000Z" (':' for '.')
    ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", '2018-01-01T00:00:00.0000000Z', '2018-01-01T00:00:00:0000000Z'],
    // printed "Monday, January, 1, 2018": the 'D' format has no comma after the month
    ["subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')", 'Monday, January 1, 2018', 'Monday, January, 1, 2018'],
    // printed 3: 2018-03-15 was a Thursday, and the reference itself says Sunday is 0
    ["dayOfWeek('2018-03-15T13:27:36Z')", '4', '3'],
    // printed "https://contoso.com": decoding 'http%3A…' cannot add an 's'
    ["decodeUriComponent('http%3A%2F%2Fcontoso.com')", 'http://contoso.com', 'https://contoso.com'],
    ["uriComponentToString('http%3A%2F%2Fcontoso.com')", 'http://contoso.com', 'https://contoso.com'],
    // printed "http%3A%2F%2Fcontoso.com": encoding 'https://…' cannot drop the 's'
    ["encodeUriComponent('https://contoso.com')", 'https%3A%2F%2Fcontoso.com', 'http%3A%2F%2Fcontoso.com'],
    ["uriComponent('https://contoso.com')", 'https%3A%2F%2Fcontoso.com', 'http%3A%2F%2Fcontoso.com'],
  ])('%s → %s (the reference prints %s)', (expr, actual, printed) => {
    const v = ev(expr);
    expect(String(v)).toBe(actual);
    expect(String(v)).not.toBe(printed);
  });
});

describe("the function set is the reference page's", () => {
  // Every function of the reference's tables (String, Collection, Logical, Conversion, Math
  // and Date functions), as the page spells them. convertFromUtc, convertTimeZone and
  // convertToUtc are implemented in timezone.ts (tested in expression-timezone.test.ts).
  const REFERENCE: Readonly<Record<string, readonly string[]>> = {
    string: ['concat', 'endsWith', 'guid', 'indexOf', 'lastIndexOf', 'replace', 'split', 'startsWith', 'substring', 'toLower', 'toUpper', 'trim'],
    collection: ['contains', 'empty', 'first', 'intersection', 'join', 'last', 'length', 'skip', 'take', 'union'],
    logical: ['and', 'equals', 'greater', 'greaterOrEquals', 'if', 'less', 'lessOrEquals', 'not', 'or'],
    conversion: [
      'array',
      'base64',
      'base64ToBinary',
      'base64ToString',
      'binary',
      'bool',
      'coalesce',
      'createArray',
      'dataUri',
      'dataUriToBinary',
      'dataUriToString',
      'decodeBase64',
      'decodeDataUri',
      'decodeUriComponent',
      'encodeUriComponent',
      'float',
      'int',
      'json',
      'string',
      'uriComponent',
      'uriComponentToBinary',
      'uriComponentToString',
      'xml',
      'xpath',
    ],
    math: ['add', 'div', 'max', 'min', 'mod', 'mul', 'rand', 'range', 'sub'],
    date: [
      'addDays',
      'addHours',
      'addMinutes',
      'addSeconds',
      'addToTime',
      'convertFromUtc',
      'convertTimeZone',
      'convertToUtc',
      'dayOfMonth',
      'dayOfWeek',
      'dayOfYear',
      'formatDateTime',
      'getFutureTime',
      'getPastTime',
      'startOfDay',
      'startOfHour',
      'startOfMonth',
      'subtractFromTime',
      'ticks',
      'utcNow',
    ],
  };

  it('the evaluator knows exactly the 84 functions of the reference (names case-insensitive)', () => {
    const reference = Object.values(REFERENCE).flat();
    expect(reference).toHaveLength(84);
    expect(Object.keys(FUNCTIONS).sort()).toStrictEqual(reference.map((n) => n.toLowerCase()).sort());
  });

  it('the validator accepts them, and the system functions of the run context', () => {
    for (const n of [...Object.values(REFERENCE).flat(), 'pipeline', 'activity', 'item', 'variables', 'trigger', 'dataset', 'linkedService'])
      expect(FUNCTION_NAMES.has(n.toLowerCase())).toBe(true);
  });
});

describe('did you mean: an unknown function names the closest known one', () => {
  it.each<[string, string | undefined]>([
    ['formatDatetim', 'formatDateTime'],
    ['utcnwo', 'utcNow'],
    ['subString', 'substring'],
    ['lenght', 'length'],
    ['xpth', 'xpath'],
    ['toTitle', undefined],
  ])('%s → %s', (name, suggestion) => {
    expect(suggestFunction(name)).toBe(suggestion);
  });

  it('the evaluation error says it, with its column', () => {
    expect(() => tpl("@concat('a', formatDatetim(utcNow(), 'yyyy'))")).toThrow(
      new ExpressionEvalError(14, "unknown function 'formatDatetim' — did you mean 'formatDateTime'?", ''),
    );
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
