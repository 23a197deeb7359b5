/**
 * Which dataset contract each entity kind of the simulated business feeds.
 *
 * This is the one file of package code that names datasets (the architecture test
 * exempts it by path): the simulation has to know that an account change is what
 * the account service exports as its users feed. Everything else in the generator is
 * driven by the contracts: the columns written are the contract's columns (fields the
 * contract does not declare are not written, columns the world does not know are
 * null), the format and landing path are the contract's `source`, and a dataset that
 * is not bound here still gets rows from the generic, contract-driven generator.
 */
import type { EntityKind } from './simulate.js';

export const DATASET_BINDINGS: Readonly<Record<string, EntityKind>> = {
  users: 'account',
  plans: 'plan',
  subscriptions: 'subscription',
  subscription_events: 'billing_event',
  payments: 'payment',
  playback_sessions: 'session',
  watch_events: 'play',
  content_catalog: 'title',
  funnel_events: 'funnel',
};
