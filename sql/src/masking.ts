/**
 * Dynamic data masking of the served columns, derived from the PII classes of the
 * source columns they come from (see serving-columns.ts). The table is data: one
 * Azure SQL masking function per PII class, used when the value is kept as is; a
 * pseudonym (salted SHA-256 in silver) has none of its class's format and is masked
 * whole; so is a value that mixes several classes or is not a string.
 *
 * Masked values are what principals without UNMASK (the reader role) see; no role
 * generated here holds UNMASK.
 */
import type { ColumnFacts, PiiClass } from './serving-columns.js';

/** Azure SQL masking function per PII class, for string values kept as is. */
export const PII_MASKS: Readonly<Record<PiiClass, string>> = {
  email: 'email()',
  phone: 'partial(0,"XXX-XXX-",4)',
  person_name: 'partial(1,"XXXXX",0)',
  postal_address: 'default()',
  birth_date: 'default()',
  ip_address: 'default()',
  device_id: 'partial(0,"XXXXXXXX",4)',
  payment_card: 'partial(0,"XXXX-XXXX-XXXX-",4)',
  precise_location: 'default()',
  free_text: 'default()',
};

/** The whole-value mask (strings → xxxx, numbers → 0, dates → 1900-01-01). */
export const DEFAULT_MASK = 'default()';

/** The masking function of a served column, or undefined when it carries no PII. */
export function maskFor(col: Pick<ColumnFacts, 'type' | 'pii'>): string | undefined {
  if (col.pii.length === 0) return undefined;
  const classes = new Set(col.pii.map((p) => p.class));
  const first = col.pii[0]!;
  if (classes.size > 1 || col.type !== 'string' || col.pii.some((p) => p.policy !== 'keep')) return DEFAULT_MASK;
  return PII_MASKS[first.class];
}
