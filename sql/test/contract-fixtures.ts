/**
 * The shipped contracts as in-memory files, and variants of them: a test changes a
 * file's text (a PII class, the row-level security column) or adds a contract, loads
 * the set and looks at the generated serving DDL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findWorkspaceRoot, loadContractFiles, type ContractSet, type InMemoryFile } from '@streampulse/contracts';

export const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
export const SHIPPED_DIR = join(ROOT, 'contracts', 'streampulse');

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));

export function shippedFiles(): InMemoryFile[] {
  return walk(SHIPPED_DIR)
    .sort()
    .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }));
}

/** Loads files (throws with every issue when invalid). */
export function load(files: readonly InMemoryFile[]): ContractSet {
  const r = loadContractFiles(files, 'contracts/streampulse');
  if (!r.contracts) throw new Error(r.issues.map((i) => `${i.file}:${i.line} ${i.path} ${i.message}`).join('\n'));
  return r.contracts;
}

/** Replaces `from` by `to` in the file ending with `name` (the text must occur). */
export function edit(files: readonly InMemoryFile[], name: string, from: string | RegExp, to: string): InMemoryFile[] {
  return files.map((f) => {
    if (!f.file.endsWith(name)) return f;
    if (typeof from === 'string' ? !f.text.includes(from) : !from.test(f.text)) throw new Error(`${name}: ${String(from)} not found`);
    return { ...f, text: f.text.replace(from, to) };
  });
}

/** A mart that serves a column of the users dataset as it is in silver (for the masking tests). */
export const PII_MART = `mart: analytics_account_contacts
version: 1.0.0
owner: analytics-engineering@streampulse.example
domain: customer
description: Test fixture - a mart serving a personal column, to see it masked.
grain: [email]
from:
  dataset: users
  alias: u
dimensions:
  - name: email
    type: string
    expr: u.email
    description: The account's e-mail address as silver holds it.
measures:
  - name: accounts
    type: bigint
    expr: count(distinct u.user_id)
    definition: Accounts with the address.
  - name: distinct_addresses
    type: bigint
    expr: count(distinct u.email)
    definition: Distinct addresses (an aggregate reveals no address).
`;

/** The shipped set plus PII_MART, with users.email's PII class and policy set as given. */
export function piiFixture(cls: string, policy: string): InMemoryFile[] {
  const files = edit(shippedFiles(), 'users.yaml', /pii:\n {6}class: email\n {6}policy: pseudonymise/, `pii:\n      class: ${cls}\n      policy: ${policy}`);
  return [...files, { file: 'contracts/streampulse/marts/analytics_account_contacts.yaml', text: PII_MART }];
}
