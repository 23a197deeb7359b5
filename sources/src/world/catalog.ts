/**
 * Reference data of the simulated streaming business: markets, prices, channels,
 * devices, genres. Plain facts about the world, no dataset names.
 */
export interface Market {
  readonly country: string;
  readonly region: 'EMEA' | 'NA' | 'LATAM' | 'APAC';
  readonly currency: string;
  readonly weight: number;
}

export const MARKETS: readonly Market[] = [
  { country: 'US', region: 'NA', currency: 'USD', weight: 30 },
  { country: 'CA', region: 'NA', currency: 'CAD', weight: 5 },
  { country: 'GB', region: 'EMEA', currency: 'GBP', weight: 9 },
  { country: 'DE', region: 'EMEA', currency: 'EUR', weight: 9 },
  { country: 'FR', region: 'EMEA', currency: 'EUR', weight: 7 },
  { country: 'ES', region: 'EMEA', currency: 'EUR', weight: 5 },
  { country: 'NL', region: 'EMEA', currency: 'EUR', weight: 3 },
  { country: 'BR', region: 'LATAM', currency: 'BRL', weight: 9 },
  { country: 'MX', region: 'LATAM', currency: 'USD', weight: 5 },
  { country: 'AR', region: 'LATAM', currency: 'USD', weight: 2 },
  { country: 'AU', region: 'APAC', currency: 'AUD', weight: 6 },
  { country: 'JP', region: 'APAC', currency: 'USD', weight: 5 },
  { country: 'IN', region: 'APAC', currency: 'USD', weight: 5 },
];

/** USD per unit of currency (reference rates of the billing catalog). */
export const FX_TO_USD: Readonly<Record<string, number>> = { USD: 1, CAD: 0.74, GBP: 1.27, EUR: 1.08, BRL: 0.2, AUD: 0.66 };
export const CURRENCIES = [...new Set(MARKETS.map((m) => m.currency))].sort();

export type Tier = 'basic' | 'standard' | 'premium';
export type Period = 'monthly' | 'annual';
export const TIERS: readonly { tier: Tier; monthlyUsd: number; trialDays: number; weight: number }[] = [
  { tier: 'basic', monthlyUsd: 7.99, trialDays: 7, weight: 40 },
  { tier: 'standard', monthlyUsd: 12.99, trialDays: 7, weight: 40 },
  { tier: 'premium', monthlyUsd: 19.99, trialDays: 14, weight: 20 },
];
/** Annual plans cost ten months and have no trial. */
export const ANNUAL_MONTHS = 10;

export const CHANNELS: readonly (readonly [string, number])[] = [
  ['organic', 30],
  ['paid_search', 20],
  ['paid_social', 15],
  ['affiliate', 8],
  ['referral', 10],
  ['partner_bundle', 5],
  ['app_store', 10],
  ['unknown', 2],
];
export const CAMPAIGNS: Readonly<Record<string, readonly string[]>> = {
  paid_search: ['brand_search', 'generic_streaming', 'competitor_terms'],
  paid_social: ['spring_originals', 'trailer_drop', 'lookalike_q'],
  affiliate: ['deals_sites', 'tech_reviews'],
  partner_bundle: ['telco_bundle', 'isp_bundle'],
};
export const DEVICES: readonly (readonly [string, number])[] = [
  ['smart_tv', 35],
  ['mobile', 25],
  ['web', 15],
  ['tablet', 10],
  ['streaming_stick', 10],
  ['console', 5],
];
export const PAYMENT_METHODS: readonly (readonly [string, number])[] = [
  ['card', 60],
  ['paypal', 15],
  ['apple_pay', 8],
  ['google_pay', 7],
  ['sepa_debit', 6],
  ['carrier_billing', 4],
];
export const FAILURE_REASONS: readonly (readonly [string, number])[] = [
  ['insufficient_funds', 45],
  ['card_expired', 20],
  ['do_not_honor', 15],
  ['authentication_required', 10],
  ['processing_error', 8],
  ['fraud_suspected', 2],
];
export const CONTENT_TYPES: readonly (readonly [string, number])[] = [
  ['episode', 55],
  ['movie', 30],
  ['documentary', 8],
  ['kids', 7],
];
export const GENRES = [
  'drama',
  'comedy',
  'action',
  'thriller',
  'sci_fi',
  'horror',
  'romance',
  'documentary',
  'animation',
  'family',
  'reality',
  'crime',
] as const;
export const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Chen',
  'Dara',
  'Eli',
  'Fatima',
  'Gus',
  'Hana',
  'Ivan',
  'Jade',
  'Kofi',
  'Lena',
  'Mateo',
  'Nia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tomoko',
  'Uma',
  'Victor',
  'Wen',
  'Yara',
  'Zoe',
];
export const LAST_NAMES = [
  'Silva',
  'Smith',
  'Müller',
  'Tanaka',
  'Garcia',
  'Okafor',
  'Rossi',
  'Dubois',
  'Kowalski',
  'Nguyen',
  'Patel',
  'Jensen',
  'Costa',
  'Brown',
  'Ivanova',
];
export const EMAIL_DOMAINS = ['mail.example', 'inbox.example', 'post.example', 'webmail.example'];
export const TITLE_WORDS_A = [
  'Silent',
  'Broken',
  'Golden',
  'Last',
  'Hidden',
  'Midnight',
  'Northern',
  'Crimson',
  'Electric',
  'Quiet',
  'Wild',
  'Lost',
  'Iron',
  'Paper',
  'Glass',
];
export const TITLE_WORDS_B = [
  'Harbor',
  'Signal',
  'Kingdom',
  'Orbit',
  'Garden',
  'Protocol',
  'River',
  'Empire',
  'Station',
  'Frontier',
  'Letters',
  'Machine',
  'Summer',
  'Archive',
  'Tide',
];
