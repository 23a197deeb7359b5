/**
 * The unit table of the generic generator: what a column measures and in which unit,
 * read from its name (snake_case tokens), its description and the dataset it belongs
 * to, so a contract-only dataset gets plausible magnitudes where the contract gives no
 * range (a cost in micros per impression is a few thousand micros, not 99 million) and
 * plausible text where it gives no pattern (an e-mail looks like one).
 *
 * Data, not code paths: to teach the generator a new unit, add a row. The first row
 * that matches wins, so specific rows come before general ones. Explicit contract
 * bounds (`range` rules, `min`/`max` constraints) always win over the table: the
 * table's range is intersected with them, and dropped when the two do not meet.
 */
import type { Column } from '@streampulse/contracts';
import type { Rng } from './rng.js';

/** What a column's name, description and dataset say, lower-cased. */
export interface ColumnText {
  /** `_`-delimited name, e.g. `_cost_micros_`, so `/_micros_/` matches a whole token. */
  readonly name: string;
  readonly description: string;
  readonly dataset: string;
  readonly pii?: string;
}

export function columnText(c: Pick<Column, 'name' | 'description' | 'pii'>, dataset: string): ColumnText {
  return {
    name: `_${c.name.toLowerCase()}_`,
    description: c.description.toLowerCase(),
    dataset: dataset.toLowerCase(),
    ...(c.pii ? { pii: c.pii.class } : {}),
  };
}

// ---------------------------------------------------------------------------
// Numbers: a quantity (what is measured, plausible range in its base unit) times a
// unit (how many of the unit make one base unit).
// ---------------------------------------------------------------------------

export interface Quantity {
  readonly quantity: string;
  /** Which units apply (`micros` to money, `ms` to durations). */
  readonly family: 'money' | 'duration' | 'size' | 'bitrate' | 'percent' | 'ratio' | 'plain';
  /** Matched against the `_name_` form of the column name. */
  readonly name?: RegExp;
  /** Matched against the description (used when the name alone does not say). */
  readonly description?: RegExp;
  /** When given, must also match the name, description or dataset name: narrows a general quantity. */
  readonly context?: RegExp;
  /** Plausible range in the base unit of the family. */
  readonly min: number;
  readonly max: number;
  /** Draw on a log scale (ranges over several orders of magnitude). */
  readonly log?: boolean;
  /** Decimal places of a double in the base unit. */
  readonly decimals: number;
}

const MONEY = /_(cost|price|amount|revenue|spend|fee|fees|charge|bid|payout|budget|earnings|tax|discount|cpm|cpc)_/;

export const QUANTITIES: readonly Quantity[] = [
  // what an advertiser pays for one impression (a CPM of 0.5–10 per thousand), in currency units
  { quantity: 'money_per_impression', family: 'money', name: MONEY, context: /impression|_cpm_|\bcpm\b/, min: 0.0005, max: 0.01, log: true, decimals: 6 },
  // what an advertiser pays for one click
  { quantity: 'money_per_click', family: 'money', name: MONEY, context: /click|_cpc_|\bcpc\b/, min: 0.05, max: 3, decimals: 4 },
  // a consumer price, charge or fee: a subscription, a rental, an add-on
  { quantity: 'money', family: 'money', name: MONEY, min: 0.5, max: 60, decimals: 2 },
  { quantity: 'percent', family: 'percent', name: /_(pct|percent|percentage)_/, description: /\bper ?cent(age)?\b|%/, min: 0, max: 100, decimals: 1 },
  // shares, rates and probabilities are fractions of one
  {
    quantity: 'ratio',
    family: 'ratio',
    name: /_(ratio|share|rate|fraction|probability|proportion)_/,
    description: /\bbetween 0 and 1\b|\b0\.\.1\b/,
    min: 0,
    max: 1,
    decimals: 4,
  },
  // network and service latencies, in seconds
  { quantity: 'latency', family: 'duration', name: /_(latency|lag|delay|rtt|ttfb)_/, min: 0.005, max: 2, log: true, decimals: 3 },
  // how long something lasted, in seconds: a few seconds to an hour
  {
    quantity: 'duration',
    family: 'duration',
    name: /_(duration|elapsed|runtime|length|watch_time|time_spent|buffering|dwell)_/,
    min: 1,
    max: 3600,
    log: true,
    decimals: 1,
  },
  // payloads and files, in bytes: a kilobyte to 50 MB
  { quantity: 'size', family: 'size', name: /_(bytes|size|filesize|payload)_/, min: 1_000, max: 50_000_000, log: true, decimals: 0 },
  // streaming bitrates, in bits per second
  { quantity: 'bitrate', family: 'bitrate', name: /_(bitrate|bandwidth|throughput)_/, min: 300_000, max: 25_000_000, log: true, decimals: 0 },
  { quantity: 'age', family: 'plain', name: /_age_/, min: 18, max: 80, decimals: 0 },
  { quantity: 'year', family: 'plain', name: /_year_/, min: 1990, max: 2026, decimals: 0 },
  { quantity: 'rating', family: 'plain', name: /_(rating|stars)_/, min: 1, max: 5, decimals: 1 },
  { quantity: 'latitude', family: 'plain', name: /_(lat|latitude)_/, min: -60, max: 70, decimals: 5 },
  { quantity: 'longitude', family: 'plain', name: /_(lon|lng|longitude)_/, min: -180, max: 180, decimals: 5 },
  // how many of something one row stands for: a handful
  {
    quantity: 'count',
    family: 'plain',
    name: /_(count|num|number|qty|quantity|views|clicks|impressions|plays|attempts|items|screens|retries|errors|events|sessions|episodes)_|^_n_/,
    description: /\bnumber of\b|\bhow many\b/,
    min: 0,
    max: 50,
    decimals: 0,
  },
];

export interface Unit {
  readonly unit: string;
  readonly family: Quantity['family'];
  readonly name: RegExp;
  readonly description?: RegExp;
  /** The quantity the unit implies when the name names none (micros are money). */
  readonly implies: string;
  /** How many of this unit make one base unit of the family. */
  readonly perBase: number;
  /** Values in this unit are whole numbers (micros, cents, milliseconds, bytes). */
  readonly integer?: boolean;
}

export const UNITS: readonly Unit[] = [
  // millionths of the currency unit (ad platforms: cost_micros = 2500 is 0.0025)
  {
    unit: 'micros',
    implies: 'money',
    family: 'money',
    name: /_micros?_/,
    description: /\bmicros\b|millionths?\b|micro-?units?/,
    perBase: 1_000_000,
    integer: true,
  },
  // hundredths of the currency unit
  { unit: 'cents', implies: 'money', family: 'money', name: /_(cents?|minor)_/, description: /\bcents\b|minor units?/, perBase: 100, integer: true },
  {
    unit: 'milliseconds',
    implies: 'duration',
    family: 'duration',
    name: /_(ms|millis|msec|milliseconds?)_/,
    description: /\bmilliseconds?\b/,
    perBase: 1000,
    integer: true,
  },
  { unit: 'seconds', implies: 'duration', family: 'duration', name: /_(s|sec|secs|seconds?)_/, description: /\bin seconds\b/, perBase: 1 },
  { unit: 'minutes', implies: 'duration', family: 'duration', name: /_(min|mins|minutes?)_/, description: /\bin minutes\b/, perBase: 1 / 60 },
  { unit: 'hours', implies: 'duration', family: 'duration', name: /_(h|hrs|hours?)_/, description: /\bin hours\b/, perBase: 1 / 3600 },
  { unit: 'bytes', implies: 'size', family: 'size', name: /_bytes_/, description: /\bin bytes\b/, perBase: 1, integer: true },
  { unit: 'kilobytes', implies: 'size', family: 'size', name: /_(kb|kib|kilobytes)_/, perBase: 1 / 1024 },
  { unit: 'megabytes', implies: 'size', family: 'size', name: /_(mb|mib|megabytes)_/, perBase: 1 / 1_048_576 },
  { unit: 'kbps', implies: 'bitrate', family: 'bitrate', name: /_kbps_/, perBase: 1 / 1000 },
  { unit: 'percent', implies: 'percent', family: 'percent', name: /_(pct|percent|percentage)_/, perBase: 1 },
];

/** A plausible numeric range for a column, and where it came from. */
export interface Magnitude {
  readonly quantity: string;
  readonly unit?: string;
  /** In the column's unit. */
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
  /** Decimal places in the column's unit (0 for whole numbers). */
  readonly decimals: number;
}

const fits = (re: RegExp | undefined, ...texts: string[]): boolean => re !== undefined && texts.some((t) => re.test(t));

/** What the column's name and description say about its magnitude; undefined when they say nothing. */
export function magnitudeOf(t: ColumnText): Magnitude | undefined {
  const unit = UNITS.find((u) => fits(u.name, t.name)) ?? UNITS.find((u) => fits(u.description, t.description));
  const inContext = (q: Quantity): boolean => q.context === undefined || fits(q.context, t.name, t.description, t.dataset);
  const q =
    // the name says what is measured (cost_micros: money, and of an impression in an impressions feed)
    QUANTITIES.find((x) => fits(x.name, t.name) && inContext(x)) ??
    // the unit says it (spend_micros → money, buffer_ms → a duration)
    // (and a context narrows it: spend_micros of an impression)
    (unit === undefined
      ? undefined
      : (QUANTITIES.find((x) => x.family === unit.family && x.context !== undefined && inContext(x)) ?? QUANTITIES.find((x) => x.quantity === unit.implies))) ??
    QUANTITIES.find((x) => fits(x.description, t.description) && inContext(x));
  if (q === undefined) return undefined;
  const per = unit !== undefined && unit.family === q.family ? unit.perBase : 1;
  const decimals = unit?.integer && per !== 1 ? 0 : Math.max(0, q.decimals - Math.round(Math.log10(per)));
  return {
    quantity: q.quantity,
    ...(unit !== undefined && per !== 1 ? { unit: unit.unit } : {}),
    min: q.min * per,
    max: q.max * per,
    log: q.log === true,
    decimals,
  };
}

// ---------------------------------------------------------------------------
// Booleans: how often a flag is true.
// ---------------------------------------------------------------------------

export interface Flag {
  readonly flag: string;
  readonly name: RegExp;
  /** Share of rows in which the flag is true. */
  readonly share: number;
}

export const FLAGS: readonly Flag[] = [
  // rare outcomes: a click on an ad, a conversion, a failure, fraud
  { flag: 'rare', name: /_(clicked|converted|churned|failed|error|errored|fraud|fraudulent|refunded|bounced|flagged|skipped|cancelled)_/, share: 0.05 },
  // usual states: a consented, active, verified account
  { flag: 'usual', name: /_(active|enabled|verified|opt_in|opted_in|consent|consented|completed|success|successful|visible)_/, share: 0.8 },
];

/** Share of rows in which a boolean column is true: the flag table's, else one half. */
export function trueShareOf(t: ColumnText): number {
  return FLAGS.find((f) => f.name.test(t.name))?.share ?? 0.5;
}

// ---------------------------------------------------------------------------
// Text: what a string column holds, and a plausible value of it.
// ---------------------------------------------------------------------------

const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'BR', 'MX', 'JP', 'IN', 'CA', 'AU', 'ES', 'IT', 'NL', 'SE', 'PL'] as const;
const COUNTRIES3 = ['USA', 'DEU', 'GBR', 'FRA', 'BRA', 'MEX', 'JPN', 'IND', 'CAN', 'AUS', 'ESP', 'ITA', 'NLD', 'SWE', 'POL'] as const;
const CURRENCIES = ['USD', 'EUR', 'GBP', 'BRL', 'MXN', 'JPY', 'INR', 'CAD', 'AUD', 'SEK', 'PLN'] as const;
const LANGUAGES = ['en', 'de', 'es', 'fr', 'pt', 'ja', 'hi', 'it', 'nl', 'sv', 'pl'] as const;
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'es-MX', 'fr-FR', 'pt-BR', 'ja-JP', 'hi-IN', 'it-IT', 'nl-NL'] as const;
const FIRST = ['ana', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo', 'isla', 'jonas', 'kai', 'lena', 'mateo', 'nina'] as const;
const LAST = ['garcia', 'smith', 'muller', 'rossi', 'silva', 'tanaka', 'patel', 'martin', 'novak', 'berg'] as const;
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
  'Roku/DVP-12.5 (12.5.0.4174)',
] as const;

export interface TextKind {
  readonly kind: string;
  readonly name?: RegExp;
  readonly description?: RegExp;
  /** When given, the description must say it too (alpha-3 country codes). */
  readonly requires?: RegExp;
  /** A PII class of the column that says it (`pii.class: email`). */
  readonly pii?: string;
  /** Values identify something: a non-key column of this kind reuses a small set of them. */
  readonly identifier?: boolean;
  readonly value: (r: Rng, t: ColumnText) => string;
}

const digits = (r: Rng, n: number): string => Array.from({ length: n }, () => String(r.int(0, 9))).join('');

export const TEXT_KINDS: readonly TextKind[] = [
  // RFC 2606 example domains: plausible, never a real mailbox
  {
    kind: 'email',
    pii: 'email',
    name: /_e?mail(_address)?_/,
    value: (r) => `${r.pick(FIRST)}.${r.pick(LAST)}${r.int(1, 999)}@${r.pick(['example.com', 'example.org', 'example.net'])}`,
  },
  {
    kind: 'url',
    name: /_(url|uri|link|href|website|homepage|landing_page)_/,
    value: (r) => `https://www.example.com/${r.pick(['watch', 'browse', 'offer', 'title'])}/${r.hex(8)}`,
  },
  { kind: 'country_alpha3', name: /_country(_code)?_/, requires: /alpha-?3/, description: /iso 3166-1 alpha-?3/, value: (r) => r.pick(COUNTRIES3) },
  // ISO 3166-1 alpha-2
  { kind: 'country', name: /_(country|country_code)_/, description: /iso 3166/, value: (r) => r.pick(COUNTRIES) },
  // ISO 4217
  { kind: 'currency', name: /_(currency|currency_code|ccy)_/, description: /iso 4217/, value: (r) => r.pick(CURRENCIES) },
  { kind: 'locale', name: /_locale_/, value: (r) => r.pick(LOCALES) },
  // ISO 639-1
  { kind: 'language', name: /_(language|lang|language_code)_/, description: /iso 639/, value: (r) => r.pick(LANGUAGES) },
  // RFC 5737 documentation networks
  { kind: 'ip_address', pii: 'ip_address', name: /_ip(_address)?_/, value: (r) => `${r.pick(['192.0.2', '198.51.100', '203.0.113'])}.${r.int(1, 254)}` },
  // a number in the 555 fiction range
  { kind: 'phone', pii: 'phone', name: /_(phone|phone_number|msisdn|mobile)_/, value: (r) => `+1555${digits(r, 7)}` },
  { kind: 'person_name', pii: 'person_name', name: /_(full_name|person_name|customer_name)_/, value: (r) => `${cap(r.pick(FIRST))} ${cap(r.pick(LAST))}` },
  { kind: 'first_name', name: /_first_name_/, value: (r) => cap(r.pick(FIRST)) },
  { kind: 'last_name', name: /_last_name_/, value: (r) => cap(r.pick(LAST)) },
  { kind: 'postal_address', pii: 'postal_address', name: /_(address|street)_/, value: (r) => `${r.int(1, 250)} ${cap(r.pick(LAST))} Street` },
  { kind: 'user_agent', name: /_user_agent_/, value: (r) => r.pick(AGENTS) },
  { kind: 'uuid', name: /_(uuid|guid)_/, description: /\buuid\b|\bguid\b/, identifier: true, value: (r) => uuid(r) },
  { kind: 'device_id', pii: 'device_id', name: /_device_id_/, identifier: true, value: (r) => `dev-${r.hex(12)}` },
  { kind: 'version', name: /_(version|app_version|os_version|client_version)_/, value: (r) => `${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 9)}` },
  { kind: 'hash', name: /_(hash|sha256|checksum|digest)_/, value: (r) => r.hex(64) },
  // any other identifier or code: a prefix from the column name and a short hex tail
  { kind: 'identifier', name: /_(id|code|key|ref|reference)_$/, identifier: true, value: (r, t) => `${prefixOf(t)}-${r.hex(8)}` },
];

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function uuid(r: Rng): string {
  const h = r.hex(32).split('');
  h[12] = '4';
  h[16] = '89ab'[r.int(0, 3)]!;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** `_campaign_id_` → `cam`: the first three letters of the name's first token. */
export function prefixOf(t: ColumnText): string {
  const first = t.name.split('_').find((s) => s !== '') ?? 'id';
  return first.slice(0, 3);
}

/** The text kind a string column holds; undefined when its name, description and PII class say nothing. */
export function textKindOf(t: ColumnText): TextKind | undefined {
  const ok = (k: TextKind): boolean => k.requires === undefined || fits(k.requires, t.description);
  return (
    TEXT_KINDS.find((k) => k.pii !== undefined && k.pii === t.pii && ok(k)) ??
    TEXT_KINDS.find((k) => fits(k.name, t.name) && ok(k)) ??
    TEXT_KINDS.find((k) => fits(k.description, t.description) && ok(k))
  );
}
