/**
 * Time zones in the Data Factory expression language: convertFromUtc, convertToUtc and
 * convertTimeZone on the examples of the documented reference ("Expressions and
 * functions in Azure Data Factory and Azure Synapse Analytics"), the .NET standard
 * date and time format strings in the en-US culture ("Standard date and time format
 * strings", .NET docs, the table's 2009-06-15T13:45:30 examples), and daylight-saving
 * edge cases worked out by hand below (zone rules from the IANA database, mapped from
 * Windows ids by CLDR's windowsZones.xml).
 */
import { describe, expect, it } from '@jest/globals';
import {
  evaluateExpr,
  evaluateTemplate,
  ExpressionEvalError,
  FUNCTION_NAMES,
  functionArity,
  parseExpression,
  utcOffsetMs,
  validateFactory,
  WINDOWS_TIME_ZONE_IDS,
  windowsZone,
  type EvalContext,
  type Json,
} from '@streampulse/pipelines';

// "Suppose today is April 15, 2018 at 1:00:00 PM" (the reference's utcNow examples)
const ctx: EvalContext = { pipeline: { parameters: {} }, now: () => new Date('2018-04-15T13:00:00Z') };
const ev = (expr: string): Json => evaluateExpr(parseExpression(expr), ctx);
const evalError = (expr: string): ExpressionEvalError => {
  try {
    ev(expr);
  } catch (e) {
    if (e instanceof ExpressionEvalError) return e;
    throw e;
  }
  throw new Error(`no evaluation error for ${expr}`);
};

describe('convertFromUtc, convertTimeZone, convertToUtc: the documented examples', () => {
  it.each<[string, string]>([
    // convertFromUtc, Example 2
    ["convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
    // convertTimeZone, Example 1: the result is not UTC, so the 'o' rendering has no 'Z'
    ["convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
    // convertTimeZone, Example 2
    ["convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
    // convertToUtc, Example 1: the result is UTC ('Z')
    ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time')", '2018-01-01T08:00:00.0000000Z'],
    // convertToUtc, Example 2
    ["convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time', 'D')", 'Monday, January 1, 2018'],
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toBe(output);
  });

  it('convertFromUtc, Example 1: the printed "2018-01-01T00:00:00Z" is not an \'o\' rendering; the value is 2018-01-01T00:00:00.0000000', () => {
    // The Data Factory page prints "2018-01-01T00:00:00Z": no seven-digit fraction, which
    // the default 'o' format always writes, and a 'Z' that its own convertTimeZone example
    // (the same instant into the same zone) does not show. .NET's ConvertTimeFromUtc
    // returns an Unspecified DateTime, which 'o' writes without 'Z'; the Logic Apps
    // reference (the same functions) prints "2018-01-01T00:00:00.0000000" and says the
    // result is "converted to the target time zone without the timezone UTC offset".
    const v = ev("convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time')");
    expect(v).toBe('2018-01-01T00:00:00.0000000');
    expect(v).not.toBe('2018-01-01T00:00:00Z');
  });

  it("dynamic file name: @concat('Test_', convertFromUtc(utcnow(), 'Pacific Standard Time')) — in April, daylight time (UTC-7)", () => {
    // utcnow() = 2018-04-15T13:00:00Z; Pacific daylight time began 2018-03-11, so 13:00 - 7 h
    expect(evaluateTemplate("@concat('Test_',  convertFromUtc(utcnow(), 'Pacific Standard Time'))", ctx)).toBe('Test_2018-04-15T06:00:00.0000000');
  });

  it('function names are case-insensitive and the validator knows all three, with their arities', () => {
    expect(ev("CONVERTTOUTC('01/01/2018 00:00:00', 'Pacific Standard Time')")).toBe('2018-01-01T08:00:00.0000000Z');
    for (const name of ['convertfromutc', 'converttoutc', 'converttimezone']) expect(FUNCTION_NAMES.has(name)).toBe(true);
    expect(functionArity('convertfromutc')).toStrictEqual({ min: 2, max: 3 });
    expect(functionArity('converttoutc')).toStrictEqual({ min: 2, max: 3 });
    expect(functionArity('converttimezone')).toStrictEqual({ min: 3, max: 4 });
  });

  it('validateFactory accepts the three functions and reports a wrong argument count', async () => {
    const problems = async (value: string) => {
      const pipeline = {
        name: 'pl_tz',
        properties: {
          activities: [{ name: 'Set local day', type: 'SetVariable', typeProperties: { variableName: 'day', value: { value, type: 'Expression' } } }],
          variables: { day: { type: 'String' } },
        },
      };
      const found = await validateFactory({ 'pipeline/pl_tz.json': pipeline });
      return found.filter((p) => p.rule === 'unknown-function' || p.rule === 'function-arity').map((p) => p.rule);
    };
    expect(await problems("@convertTimeZone(utcnow(), 'UTC', 'W. Europe Standard Time', 'yyyy-MM-dd')")).toStrictEqual([]);
    expect(await problems("@convertFromUtc(utcnow(), 'Pacific Standard Time')")).toStrictEqual([]);
    expect(await problems("@convertToUtc('01/01/2018 00:00:00')")).toStrictEqual(['function-arity']);
    expect(await problems("@convertToLocal('01/01/2018 00:00:00', 'UTC')")).toStrictEqual(['unknown-function']);
  });
});

describe('the kind of the result (.NET DateTimeKind): what the default format and K write', () => {
  it.each<[string, string]>([
    // ConvertTimeFromUtc → Unspecified: no 'Z', K writes nothing
    ["convertFromUtc('2018-01-01T08:00:00Z', 'Pacific Standard Time', 'yyyy-MM-ddTHH:mm:ssK')", '2018-01-01T00:00:00'],
    // …except into 'UTC' (FindSystemTimeZoneById("UTC") is TimeZoneInfo.Utc, so the kind is Utc)
    ["convertFromUtc('2018-01-01T08:00:00Z', 'UTC')", '2018-01-01T08:00:00.0000000Z'],
    ["convertTimeZone('2018-01-01T00:00:00', 'Pacific Standard Time', 'UTC')", '2018-01-01T08:00:00.0000000Z'],
    // ConvertTimeToUtc → Utc
    ["convertToUtc('2018-01-01T00:00:00', 'Pacific Standard Time', 'yyyy-MM-ddTHH:mm:ssK')", '2018-01-01T08:00:00Z'],
    // a timestamp without zone designator is read as UTC by convertFromUtc
    ["convertFromUtc('2018-01-01T08:00:00', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
    // an offset is an instant: 10:00+02:00 = 08:00Z = 00:00 in Los Angeles (PST, UTC-8)
    ["convertFromUtc('2018-01-01T10:00:00+02:00', 'Pacific Standard Time')", '2018-01-01T00:00:00.0000000'],
    // the 100 ns ticks survive the conversion
    ["convertFromUtc('2018-01-01T08:00:00.1234567Z', 'Pacific Standard Time')", '2018-01-01T00:00:00.1234567'],
    // Windows ids are case-insensitive, like FindSystemTimeZoneById
    ["convertFromUtc('2018-01-01T08:00:00Z', 'pacific standard time')", '2018-01-01T00:00:00.0000000'],
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toBe(output);
  });
});

describe('daylight saving time and unusual offsets (worked out by hand)', () => {
  it.each<[string, string, string]>([
    // Pacific (America/Los_Angeles), 2018: on Sunday March 11 at 02:00 PST the clocks jump to
    // 03:00 PDT (UTC-8 → UTC-7), i.e. at 10:00 UTC; on Sunday November 4 at 02:00 PDT they go
    // back to 01:00 PST, i.e. at 09:00 UTC.
    ['last second of standard time', "convertFromUtc('2018-03-11T09:59:59Z', 'Pacific Standard Time')", '2018-03-11T01:59:59.0000000'],
    ['one second later the clock reads 03:00', "convertFromUtc('2018-03-11T10:00:00Z', 'Pacific Standard Time')", '2018-03-11T03:00:00.0000000'],
    ['01:59:59 local is still PST (UTC-8)', "convertToUtc('2018-03-11T01:59:59', 'Pacific Standard Time')", '2018-03-11T09:59:59.0000000Z'],
    ['03:00 local is PDT (UTC-7)', "convertToUtc('2018-03-11T03:00:00', 'Pacific Standard Time')", '2018-03-11T10:00:00.0000000Z'],
    // November 4: 01:30 happens twice, at 08:30Z (PDT) and at 09:30Z (PST)
    ['first 01:30 (PDT)', "convertFromUtc('2018-11-04T08:30:00Z', 'Pacific Standard Time')", '2018-11-04T01:30:00.0000000'],
    ['second 01:30 (PST)', "convertFromUtc('2018-11-04T09:30:00Z', 'Pacific Standard Time')", '2018-11-04T01:30:00.0000000'],
    // .NET ConvertTimeToUtc: "If dateTime is ambiguous, this method assumes that it is the
    // standard time of the source time zone" → 01:30 PST = 09:30Z
    ['an ambiguous local time is standard time', "convertToUtc('2018-11-04T01:30:00', 'Pacific Standard Time')", '2018-11-04T09:30:00.0000000Z'],
    // W. Europe (Europe/Berlin), 2018: CET → CEST on March 25 at 01:00 UTC (02:00 → 03:00 local),
    // CEST → CET on October 28 at 01:00 UTC (03:00 → 02:00 local).
    ['Berlin: before the spring change', "convertFromUtc('2018-03-25T00:59:59Z', 'W. Europe Standard Time')", '2018-03-25T01:59:59.0000000'],
    ['Berlin: after the spring change', "convertFromUtc('2018-03-25T01:00:00Z', 'W. Europe Standard Time')", '2018-03-25T03:00:00.0000000'],
    // 02:30 on October 28 is ambiguous in Berlin → CET (UTC+1) → 01:30Z; Los Angeles is still
    // on PDT until November 4 → 01:30 - 7 h = 18:30 the day before
    [
      'Berlin → Los Angeles across different change dates',
      "convertTimeZone('2018-10-28T02:30:00', 'W. Europe Standard Time', 'Pacific Standard Time')",
      '2018-10-27T18:30:00.0000000',
    ],
    // southern hemisphere: Sydney is on daylight time (AEDT, UTC+11) in January, standard (AEST, UTC+10) in July
    ['Sydney in January (AEDT)', "convertFromUtc('2018-01-01T08:00:00Z', 'AUS Eastern Standard Time')", '2018-01-01T19:00:00.0000000'],
    ['Sydney in July (AEST)', "convertFromUtc('2018-07-01T08:00:00Z', 'AUS Eastern Standard Time')", '2018-07-01T18:00:00.0000000'],
    // offsets that are not whole hours
    ['India, UTC+05:30', "convertFromUtc('2018-01-01T08:00:00Z', 'India Standard Time')", '2018-01-01T13:30:00.0000000'],
    ['Nepal, UTC+05:45', "convertFromUtc('2018-01-01T08:00:00Z', 'Nepal Standard Time')", '2018-01-01T13:45:00.0000000'],
    [
      'Chatham Islands in January (daylight time, UTC+13:45)',
      "convertFromUtc('2018-01-01T08:00:00Z', 'Chatham Islands Standard Time')",
      '2018-01-01T21:45:00.0000000',
    ],
    ['Newfoundland in January, UTC-03:30', "convertToUtc('2018-01-01T00:00:00', 'Newfoundland Standard Time')", '2018-01-01T03:30:00.0000000Z'],
    // both ends of the day: UTC+14 and UTC-12
    ['Kiritimati, UTC+14', "convertFromUtc('2018-01-01T12:00:00Z', 'Line Islands Standard Time')", '2018-01-02T02:00:00.0000000'],
    ['International Date Line West, UTC-12', "convertFromUtc('2018-01-01T08:00:00Z', 'Dateline Standard Time')", '2017-12-31T20:00:00.0000000'],
    // London is UTC+0 in winter (not 'UTC': the result is not UTC) and UTC+1 in summer
    ['London in January', "convertFromUtc('2018-01-01T08:00:00Z', 'GMT Standard Time')", '2018-01-01T08:00:00.0000000'],
    ['London in July (BST)', "convertFromUtc('2018-07-01T08:00:00Z', 'GMT Standard Time')", '2018-07-01T09:00:00.0000000'],
  ])('%s: %s → %j', (_what, expr, output) => {
    expect(ev(expr)).toBe(output);
  });

  it('a local time the clocks skip does not exist: convertToUtc fails as .NET ConvertTimeToUtc does', () => {
    // 2018-03-11 02:30 never happened in Los Angeles (02:00 PST → 03:00 PDT). The reference
    // does not say what the service returns; .NET's TimeZoneInfo.ConvertTimeToUtc throws
    // ArgumentException (Argument_DateTimeIsInvalid) for such a time, so the function fails.
    const e = evalError("convertToUtc('2018-03-11T02:30:00', 'Pacific Standard Time')");
    expect(e.message).toBe(
      "at column 1: convertToUtc(): the local time 2018-03-11 02:30:00 does not exist in 'Pacific Standard Time': the clocks skip it when daylight saving time begins",
    );
    expect(e.remedy).toContain('outside the skipped hour');
    expect(() => ev("convertTimeZone('2018-03-25T02:15:00', 'W. Europe Standard Time', 'UTC')")).toThrow(
      "the local time 2018-03-25 02:15:00 does not exist in 'W. Europe Standard Time'",
    );
  });

  it("a UTC timestamp ('Z' or an offset) with a source zone other than UTC fails, as .NET ConvertTime's kind check does", () => {
    expect(() => ev("convertToUtc('2018-01-01T00:00:00Z', 'Pacific Standard Time')")).toThrow(
      "convertToUtc(): the timestamp is in UTC (it carries 'Z' or an offset), so its source time zone cannot be 'Pacific Standard Time'",
    );
    expect(() => ev("convertTimeZone(utcnow(), 'Eastern Standard Time', 'UTC')")).toThrow('so its source time zone cannot be');
    // with 'UTC' as the source the same timestamp converts
    expect(ev("convertTimeZone(utcnow(), 'UTC', 'Eastern Standard Time')")).toBe('2018-04-15T09:00:00.0000000');
  });
});

describe('time-zone names: Windows ids (CLDR windowsZones, territory 001)', () => {
  it('an unknown id fails with the closest Windows id', () => {
    const e = evalError("convertFromUtc('2018-01-01T08:00:00Z', 'Pacific Standrd Time')");
    expect(e.message).toBe("at column 1: convertFromUtc(): 'Pacific Standrd Time' is not a Windows time-zone id — did you mean 'Pacific Standard Time'?");
    expect(e.remedy).toContain('Default Time Zones');
    expect(e.code).toBe('ADF_EXPRESSION_EVAL');
    expect(() => ev("convertTimeZone('2018-01-01T08:00:00Z', 'UTC', 'W Europe Standard Time')")).toThrow("did you mean 'W. Europe Standard Time'?");
  });

  it('an IANA name is pointed to its Windows id', () => {
    expect(() => ev("convertFromUtc('2018-01-01T08:00:00Z', 'America/Los_Angeles')")).toThrow(
      "'America/Los_Angeles' is an IANA time-zone name, not a Windows time-zone id — did you mean 'Pacific Standard Time'?",
    );
  });

  it('a name far from every id gets no suggestion', () => {
    expect(() => ev("convertFromUtc('2018-01-01T08:00:00Z', 'Nowhere')")).toThrow(/'Nowhere' is not a Windows time-zone id$/);
  });

  it('a time zone that is not a string is a type error', () => {
    expect(() => ev("convertFromUtc('2018-01-01T08:00:00Z', 8)")).toThrow('convertFromUtc(): the destination time zone must be a String, got Integer');
  });

  it('maps the ids of the Default Time Zones list to their CLDR golden zones', () => {
    expect(WINDOWS_TIME_ZONE_IDS).toHaveLength(139);
    expect(new Set(WINDOWS_TIME_ZONE_IDS.map((id) => id.toLowerCase())).size).toBe(139);
    expect(windowsZone('Pacific Standard Time').iana).toBe('America/Los_Angeles');
    expect(windowsZone('W. Europe Standard Time').iana).toBe('Europe/Berlin');
    expect(windowsZone('UTC').iana).toBe('Etc/UTC');
    expect(windowsZone('Mountain Standard Time (Mexico)').iana).toBe('America/Mazatlan');
    expect(windowsZone('india standard time')).toStrictEqual({ id: 'India Standard Time', iana: 'Asia/Calcutta' });
  });

  it("every id's IANA zone is known to this Node's ICU and has an offset within UTC-12..UTC+14", () => {
    const jan = Date.UTC(2018, 0, 1);
    const jul = Date.UTC(2018, 6, 1);
    for (const id of WINDOWS_TIME_ZONE_IDS) {
      const { iana } = windowsZone(id);
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: iana })).not.toThrow();
      for (const t of [jan, jul]) {
        const off = utcOffsetMs(iana, t);
        expect(off).toBeGreaterThanOrEqual(-12 * 3_600_000);
        expect(off).toBeLessThanOrEqual(14 * 3_600_000);
      }
    }
    // the 'UTC±hh' ids are fixed offsets (Etc/GMT+n is UTC-n)
    expect(utcOffsetMs(windowsZone('UTC-11').iana, jan)).toBe(-11 * 3_600_000);
    expect(utcOffsetMs(windowsZone('UTC+13').iana, jul)).toBe(13 * 3_600_000);
  });
});

describe('formatDateTime with the .NET standard format strings (en-US)', () => {
  // The .NET table's example instant, 2009-06-15T13:45:30. Given with 'Z' it is a UTC
  // DateTime (as the service parses it): 'o' ends in 'Z', 'u' and 'r' write it as is, and
  // 'U' (universal full date/time) needs no conversion. The table's 'O', 'R' and 'U'
  // examples show other values only because they start from a local time in UTC-7.
  it.each<[string, string]>([
    ['d', '6/15/2009'],
    ['D', 'Monday, June 15, 2009'],
    ['f', 'Monday, June 15, 2009 1:45 PM'],
    ['F', 'Monday, June 15, 2009 1:45:30 PM'],
    ['g', '6/15/2009 1:45 PM'],
    ['G', '6/15/2009 1:45:30 PM'],
    ['M', 'June 15'],
    ['m', 'June 15'],
    ['O', '2009-06-15T13:45:30.0000000Z'],
    ['o', '2009-06-15T13:45:30.0000000Z'],
    ['R', 'Mon, 15 Jun 2009 13:45:30 GMT'],
    ['r', 'Mon, 15 Jun 2009 13:45:30 GMT'],
    ['s', '2009-06-15T13:45:30'],
    ['t', '1:45 PM'],
    ['T', '1:45:30 PM'],
    ['u', '2009-06-15 13:45:30Z'],
    ['U', 'Monday, June 15, 2009 1:45:30 PM'],
    ['Y', 'June 2009'],
    ['y', 'June 2009'],
  ])("formatDateTime('2009-06-15T13:45:30Z', '%s') → %j", (format, output) => {
    expect(ev(`formatDateTime('2009-06-15T13:45:30Z', '${format}')`)).toBe(output);
  });

  it("an unspecified time ('o' without 'Z'), midnight and noon in 12-hour formats", () => {
    expect(ev("formatDateTime('2009-06-15T13:45:30', 'o')")).toBe('2009-06-15T13:45:30.0000000');
    expect(ev("formatDateTime('2018-01-01T00:05:00Z', 'T')")).toBe('12:05:00 AM');
    expect(ev("formatDateTime('2018-01-01T12:05:00Z', 't')")).toBe('12:05 PM');
  });

  it.each<[string, string]>([
    // the reference's 'D' examples
    ["addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", 'Tuesday, January 2, 2018'],
    ["utcNow('D')", 'Sunday, April 15, 2018'],
    ["formatDateTime(utcNow(), 'D')", 'Sunday, April 15, 2018'],
    // and a converted time in the other standard formats: 13:00Z is 06:00 PDT
    ["convertFromUtc(utcNow(), 'Pacific Standard Time', 'g')", '4/15/2018 6:00 AM'],
    ["convertFromUtc(utcNow(), 'Pacific Standard Time', 's')", '2018-04-15T06:00:00'],
  ])('%s → %j', (expr, output) => {
    expect(ev(expr)).toBe(output);
  });

  it('a single character that is no standard specifier fails', () => {
    expect(() => ev("formatDateTime('2018-01-01T00:00:00Z', 'x')")).toThrow("'x' is not a standard date and time format specifier");
  });
});
