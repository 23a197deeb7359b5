/**
 * The simulated streaming business, day by day: accounts sign up (through a funnel),
 * start trials that convert or expire, pay monthly or annually (with failed payments,
 * retries and dunning), change plans, cancel, come back, and watch titles whose
 * popularity is heavily skewed. Each day yields the records the source systems would
 * export that day, grouped by entity kind. Field names are the source systems'
 * column names; which dataset contract an entity kind feeds is decided in
 * `bindings.ts`, the one place that names datasets.
 *
 * The world is clean: every record is valid and lands on the day it happened. Defects
 * are added afterwards by `defects.ts`, so every defect is known and counted.
 */
import { Rng, Sampler } from '../rng.js';
import {
  ANNUAL_MONTHS,
  CAMPAIGNS,
  CHANNELS,
  CONTENT_TYPES,
  CURRENCIES,
  DEVICES,
  EMAIL_DOMAINS,
  FAILURE_REASONS,
  FIRST_NAMES,
  FX_TO_USD,
  GENRES,
  LAST_NAMES,
  MARKETS,
  PAYMENT_METHODS,
  TIERS,
  TITLE_WORDS_A,
  TITLE_WORDS_B,
  type Market,
  type Period,
  type Tier,
} from './catalog.js';

export type EntityKind = 'account' | 'plan' | 'subscription' | 'billing_event' | 'payment' | 'session' | 'play' | 'title' | 'funnel';
export const ENTITY_KINDS: readonly EntityKind[] = ['account', 'plan', 'subscription', 'billing_event', 'payment', 'session', 'play', 'title', 'funnel'];

export type SourceRecord = Record<string, string | number | boolean | null>;
export type DayRecords = Record<EntityKind, SourceRecord[]>;

export interface WorldOptions {
  readonly users: number;
  readonly days: number;
  /** First day, YYYY-MM-DD (UTC). */
  readonly startDate: string;
  readonly seed: string;
}

const DAY = 86_400_000;
const MIN = 60_000;
export const ts = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const date = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const money = (x: number): number => Math.round(x * 100) / 100;

interface Plan {
  plan_id: string;
  plan_name: string;
  tier: Tier;
  billing_period: Period;
  price: number;
  currency: string;
  price_usd: number;
  trial_days: number;
  is_active: boolean;
  updated_at: string;
}

interface Title {
  content_id: string;
  minutes: number;
  releasedDay: number;
}

type SubStatus = 'trialing' | 'active' | 'past_due' | 'cancelled' | 'expired';
interface Subscription {
  id: string;
  plan: Plan;
  status: SubStatus;
  trialStart: number | null;
  trialEnd: number | null;
  paidStart: number | null;
  cancelledAt: number | null;
  endedAt: number | null;
  /** Next billing instant (renewal, conversion or retry). */
  nextBill: number;
  /** Attempt number of the next charge of the current invoice. */
  attempt: number;
  invoiceNo: number;
  /** Whether the trial will convert (decided at trial start). */
  converts: boolean;
}

interface User {
  id: string;
  n: number;
  market: Market;
  channel: string;
  email: string;
  name: string;
  birth: string;
  signupAt: number;
  optIn: boolean;
  /** Probability of watching on a given day. */
  engagement: number;
  device: string;
  method: string;
  last4: string | null;
  tier: Tier;
  period: Period;
  subs: Subscription[];
  subNo: number;
  signedUp: boolean;
}

/** The streaming business. `step()` advances one day and returns what the sources export. */
export class World {
  private readonly rng: Rng;
  private readonly start: number;
  private readonly users: User[] = [];
  private readonly pendingSignups: User[][] = [];
  private readonly plans: Plan[] = [];
  private readonly planByKey = new Map<string, Plan>();
  private readonly titles: Title[] = [];
  private readonly popularity = new Sampler<Title>();
  private day = 0;
  private seq = 0;
  /** Records scheduled for a later day (pending payments settling, refunds). */
  private readonly scheduled = new Map<number, { kind: EntityKind; rec: SourceRecord }[]>();

  constructor(readonly opts: WorldOptions) {
    this.rng = new Rng(`streampulse:${opts.seed}`);
    this.start = Date.parse(`${opts.startDate}T00:00:00Z`);
    if (!Number.isFinite(this.start)) throw new Error(`startDate "${opts.startDate}" is not a YYYY-MM-DD date`);
    this.buildPlans();
    this.buildTitles(Math.max(60, Math.min(3000, Math.round(opts.users / 25))), 0);
    this.buildUsers();
  }

  get currentDay(): number {
    return this.day;
  }

  dateOf(day: number): string {
    return date(this.start + day * DAY);
  }

  // ---------------------------------------------------------------- set-up
  private buildPlans(): void {
    const at = ts(this.start + 5 * MIN);
    for (const cur of CURRENCIES) {
      const fx = FX_TO_USD[cur] ?? 1;
      for (const t of TIERS)
        for (const period of ['monthly', 'annual'] as const) {
          const usd = period === 'monthly' ? t.monthlyUsd : money(t.monthlyUsd * ANNUAL_MONTHS);
          const plan: Plan = {
            plan_id: `plan_${t.tier}_${period === 'monthly' ? 'm' : 'y'}_${cur.toLowerCase()}`,
            plan_name: `${t.tier[0]!.toUpperCase()}${t.tier.slice(1)} ${period === 'monthly' ? 'Monthly' : 'Annual'} (${cur})`,
            tier: t.tier,
            billing_period: period,
            price: cur === 'USD' ? usd : Math.round(usd / fx) - 0.01,
            currency: cur,
            price_usd: usd,
            trial_days: period === 'monthly' ? t.trialDays : 0,
            is_active: true,
            updated_at: at,
          };
          this.plans.push(plan);
          this.planByKey.set(`${t.tier}/${period}/${cur}`, plan);
        }
    }
  }

  private buildTitles(count: number, day: number): void {
    const r = this.rng.fork(`titles:${day}`);
    for (let i = 0; i < count; i++) {
      const n = this.titles.length + 1;
      const type = r.weighted(CONTENT_TYPES);
      const minutes = type === 'episode' ? r.int(22, 60) : type === 'kids' ? r.int(8, 30) : r.int(80, 160);
      const t: Title = { content_id: `c${String(n).padStart(5, '0')}`, minutes, releasedDay: day };
      this.titles.push(t);
      // Zipf-like skew: the head of the catalogue gets most of the watching; new releases start near the top.
      const rank = day === 0 ? n : r.int(3, 40);
      this.popularity.add(t, 1 / rank ** 1.1);
    }
  }

  private titleRecord(t: Title, r: Rng, at: number): SourceRecord {
    const n = Number(t.content_id.slice(1));
    const isEpisode = t.minutes >= 22 && t.minutes <= 60 && n % 3 !== 0;
    const series = `${TITLE_WORDS_A[n % TITLE_WORDS_A.length]!} ${TITLE_WORDS_B[(n * 7) % TITLE_WORDS_B.length]!}`;
    const type = t.minutes < 22 ? 'kids' : isEpisode ? 'episode' : n % 11 === 0 ? 'documentary' : 'movie';
    return {
      content_id: t.content_id,
      title: type === 'episode' ? `Episode ${n}` : `${series} ${n}`, // episode numbers unique per title: display titles never collide
      content_type: type,
      series_title: type === 'episode' ? series : null,
      genre: type === 'documentary' ? 'documentary' : type === 'kids' ? 'family' : GENRES[n % GENRES.length]!,
      release_year: 1990 + (n % 36),
      duration_minutes: t.minutes,
      is_original: n % 5 === 0,
      updated_at: ts(at + r.int(0, 30) * MIN),
    };
  }

  private buildUsers(): void {
    const { users, days } = this.opts;
    const r = this.rng.fork('accounts');
    const existing = Math.round(users * 0.4);
    for (let d = 0; d < days; d++) this.pendingSignups.push([]);
    for (let i = 0; i < users; i++) {
      const market = r.weighted(MARKETS.map((m) => [m, m.weight] as const));
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      const tier = r.weighted(TIERS.map((t) => [t.tier, t.weight] as const));
      const method = r.weighted(PAYMENT_METHODS);
      const u: User = {
        id: `u${String(i + 1).padStart(7, '0')}`,
        n: i + 1,
        market,
        channel: r.weighted(CHANNELS),
        email: `${first}.${last}${i + 1}@${r.pick(EMAIL_DOMAINS)}`.toLowerCase().replace('ü', 'ue'),
        name: `${first} ${last}`,
        birth: date(Date.parse('1960-01-01T00:00:00Z') + r.int(0, 45 * 365) * DAY),
        signupAt: 0,
        optIn: r.chance(0.45),
        engagement: Math.min(0.9, Math.max(0.05, r.normal(0.35, 0.2))),
        device: r.weighted(DEVICES),
        method,
        last4: method === 'card' ? String(r.int(0, 9999)).padStart(4, '0') : null,
        tier,
        period: r.chance(0.15) ? 'annual' : 'monthly',
        subs: [],
        subNo: 0,
        signedUp: false,
      };
      if (i < existing) {
        // signed up 30 to 400 days before the first day
        u.signupAt = this.start - r.int(30, 400) * DAY + r.int(0, 1439) * MIN;
      } else {
        const d = Math.floor(((i - existing) * days) / Math.max(1, users - existing));
        u.signupAt = this.start + d * DAY + r.int(6 * 60, 23 * 60 + 30) * MIN;
        this.pendingSignups[d]!.push(u);
      }
      this.users.push(u);
    }
  }

  // ---------------------------------------------------------------- one day
  step(): DayRecords {
    const d = this.day;
    const dayStart = this.start + d * DAY;
    const out: DayRecords = { account: [], plan: [], subscription: [], billing_event: [], payment: [], session: [], play: [], title: [], funnel: [] };
    const r = this.rng.fork(`day:${d}`);
    for (const s of this.scheduled.get(d) ?? []) out[s.kind].push(s.rec);
    this.scheduled.delete(d);

    if (d === 0) {
      for (const p of this.plans) out.plan.push({ ...p });
      for (const t of this.titles) out.title.push(this.titleRecord(t, r, dayStart));
      this.bootstrapExisting(out, r, dayStart);
    } else {
      if (d % 14 === 7) this.priceChange(out, r, dayStart);
      if (d % 7 === 0) {
        const before = this.titles.length;
        this.buildTitles(Math.max(2, Math.round(before * 0.02)), d);
        for (const t of this.titles.slice(before)) out.title.push(this.titleRecord(t, r, dayStart + 2 * 60 * MIN));
      }
    }

    this.funnelAndSignups(out, r, d, dayStart);
    for (const u of this.users) {
      if (!u.signedUp) continue;
      this.billing(out, r, u, dayStart);
      this.profileChanges(out, r, u, dayStart);
    }
    for (const u of this.users) if (u.signedUp) this.watching(out, r, u, d, dayStart);
    this.day++;
    for (const k of ENTITY_KINDS) out[k].sort((a, b) => String(a[TIME_FIELD[k]]).localeCompare(String(b[TIME_FIELD[k]])));
    return out;
  }

  private nextId(prefix: string): string {
    this.seq++;
    return `${prefix}${this.seq.toString(36).padStart(7, '0')}`;
  }

  private later(day: number, kind: EntityKind, rec: SourceRecord): void {
    if (day >= this.opts.days) return;
    const list = this.scheduled.get(day) ?? [];
    list.push({ kind, rec });
    this.scheduled.set(day, list);
  }

  private plan(u: User, tier = u.tier, period = u.period): Plan {
    return this.planByKey.get(`${tier}/${period}/${u.market.currency}`)!;
  }

  private accountRecord(u: User, at: number): SourceRecord {
    return {
      user_id: u.id,
      email: u.email,
      full_name: u.name,
      birth_date: u.birth,
      country: u.market.country,
      region: u.market.region,
      signup_at: ts(u.signupAt),
      acquisition_channel: u.channel === 'unknown' ? null : u.channel,
      marketing_opt_in: u.optIn,
      updated_at: ts(at),
    };
  }

  private subscriptionRecord(u: User, s: Subscription, at: number): SourceRecord {
    return {
      subscription_id: s.id,
      user_id: u.id,
      plan_id: s.plan.plan_id,
      status: s.status,
      trial_started_at: s.trialStart === null ? null : ts(s.trialStart),
      trial_ends_at: s.trialEnd === null ? null : ts(s.trialEnd),
      paid_started_at: s.paidStart === null ? null : ts(s.paidStart),
      cancelled_at: s.cancelledAt === null ? null : ts(s.cancelledAt),
      ended_at: s.endedAt === null ? null : ts(s.endedAt),
      updated_at: ts(at),
    };
  }

  private monthlyUsd(p: Plan): number {
    return p.billing_period === 'annual' ? money(p.price_usd / 12) : p.price_usd;
  }

  private event(
    out: DayRecords,
    u: User,
    s: Subscription,
    type: string,
    at: number,
    effective: number,
    delta: number | null,
    previous: Plan | null = null,
  ): void {
    out.billing_event.push({
      event_id: this.nextId('se'),
      subscription_id: s.id,
      user_id: u.id,
      plan_id: s.plan.plan_id,
      previous_plan_id: previous === null ? null : previous.plan_id,
      event_type: type,
      event_at: ts(at),
      effective_at: ts(effective),
      mrr_delta_usd: delta,
    });
  }

  /** Accounts and subscriptions that exist before the first day, exported in full on day 0. */
  private bootstrapExisting(out: DayRecords, r: Rng, dayStart: number): void {
    for (const u of this.users) {
      if (u.signupAt >= this.start) continue;
      u.signedUp = true;
      const exportAt = dayStart + r.int(1, 59) * MIN;
      out.account.push(this.accountRecord(u, exportAt));
      if (r.chance(0.1)) continue; // never subscribed
      const plan = this.plan(u);
      const s = this.newSubscription(u, plan);
      const paidStart = u.signupAt + plan.trial_days * DAY + 30 * MIN;
      s.trialStart = plan.trial_days > 0 ? u.signupAt + 10 * MIN : null;
      s.trialEnd = plan.trial_days > 0 ? u.signupAt + 10 * MIN + plan.trial_days * DAY : null;
      s.paidStart = paidStart;
      if (r.chance(0.15)) {
        // churned before the window: cancelled and ended in the past
        s.cancelledAt = Math.min(this.start - 2 * DAY, paidStart + r.int(20, 200) * DAY);
        s.endedAt = s.cancelledAt + r.int(1, 20) * DAY;
        if (s.endedAt >= this.start) s.endedAt = this.start - DAY;
        s.status = 'expired';
      } else {
        s.status = 'active';
        const periodDays = plan.billing_period === 'annual' ? 365 : 30;
        s.nextBill = dayStart + r.int(0, periodDays - 1) * DAY + r.int(60, 1380) * MIN;
      }
      out.subscription.push(this.subscriptionRecord(u, s, exportAt + MIN));
    }
  }

  private newSubscription(u: User, plan: Plan): Subscription {
    u.subNo++;
    const s: Subscription = {
      id: `s${u.id.slice(1)}-${u.subNo}`,
      plan,
      status: 'trialing',
      trialStart: null,
      trialEnd: null,
      paidStart: null,
      cancelledAt: null,
      endedAt: null,
      nextBill: Number.POSITIVE_INFINITY,
      attempt: 1,
      invoiceNo: 0,
      converts: true,
    };
    u.subs.push(s);
    return s;
  }

  private funnelAndSignups(out: DayRecords, r: Rng, d: number, dayStart: number): void {
    const signups = this.pendingSignups[d] ?? [];
    const channelOf = (c: string): string => (c === 'unknown' ? 'direct' : c);
    const funnel = (anon: string, userId: string | null, step: string, channel: string, country: string, at: number): void => {
      const campaigns = CAMPAIGNS[channel];
      out.funnel.push({
        event_id: this.nextId('fe'),
        anonymous_id: anon,
        user_id: userId,
        step,
        channel,
        campaign: campaigns ? campaigns[anon.charCodeAt(anon.length - 1) % campaigns.length]! : null,
        country,
        event_at: ts(at),
      });
    };
    // visitors who do not sign up today
    const browsers = Math.round(signups.length * 3 + r.int(0, 3));
    for (let i = 0; i < browsers; i++) {
      const anon = `anon-${r.hex(16)}`;
      const ch = channelOf(r.weighted(CHANNELS));
      const country = r.weighted(MARKETS.map((m) => [m.country, m.weight] as const));
      const at = dayStart + r.int(0, 1430) * MIN;
      funnel(anon, null, 'visit', ch, country, at);
      if (r.chance(0.25)) funnel(anon, null, 'signup_started', ch, country, at + r.int(1, 8) * MIN);
    }
    for (const u of signups) {
      u.signedUp = true;
      const anon = `anon-${r.hex(16)}`;
      const ch = channelOf(u.channel);
      const at = u.signupAt;
      funnel(anon, null, 'visit', ch, u.market.country, at - r.int(6, 25) * MIN);
      funnel(anon, null, 'signup_started', ch, u.market.country, at - r.int(1, 5) * MIN);
      funnel(anon, u.id, 'signup_completed', ch, u.market.country, at);
      out.account.push(this.accountRecord(u, at));
      if (!r.chance(0.88)) continue;
      const plan = this.plan(u);
      const s = this.newSubscription(u, plan);
      const startAt = at + r.int(2, 20) * MIN;
      (u as User & { anon?: string }).anon = anon;
      if (plan.trial_days > 0) {
        s.status = 'trialing';
        s.trialStart = startAt;
        s.trialEnd = startAt + plan.trial_days * DAY;
        s.nextBill = s.trialEnd;
        s.converts = r.chance(0.62);
        funnel(anon, u.id, 'trial_started', ch, u.market.country, startAt);
        this.event(out, u, s, 'trial_started', startAt, startAt, 0);
        out.subscription.push(this.subscriptionRecord(u, s, startAt));
      } else {
        // no trial: pay now
        s.status = 'trialing';
        s.nextBill = startAt;
      }
    }
  }

  private charge(out: DayRecords, r: Rng, u: User, s: Subscription, at: number, succeed: boolean): void {
    if (s.attempt === 1) s.invoiceNo++;
    const p = s.plan;
    const fx = FX_TO_USD[p.currency] ?? 1;
    const paymentId = `p${s.id.slice(1)}-${s.invoiceNo}-${s.attempt}`;
    const status = succeed ? 'succeeded' : 'failed';
    const rec: SourceRecord = {
      payment_id: paymentId,
      invoice_id: `inv${s.id.slice(1)}-${s.invoiceNo}`,
      subscription_id: s.id,
      user_id: u.id,
      amount: p.price,
      currency: p.currency,
      amount_usd: money(p.price * fx),
      status,
      failure_reason: succeed ? null : r.weighted(FAILURE_REASONS),
      attempt_number: s.attempt,
      payment_method: u.method,
      card_last4: u.last4,
      created_at: ts(at),
      updated_at: ts(at),
    };
    const settleDay = Math.floor((at - this.start) / DAY) + 1;
    if (succeed && r.chance(0.03) && settleDay < this.opts.days) {
      // the gateway reports it pending today and settles it tomorrow (a later version of the same payment)
      out.payment.push({ ...rec, status: 'pending', updated_at: ts(at + MIN) });
      this.later(settleDay, 'payment', { ...rec, updated_at: ts(this.start + settleDay * DAY + r.int(60, 600) * MIN) });
    } else out.payment.push(rec);
    if (succeed && r.chance(0.004)) {
      const refundDay = settleDay + r.int(1, 4);
      this.later(refundDay, 'payment', { ...rec, status: 'refunded', updated_at: ts(this.start + refundDay * DAY + r.int(60, 1300) * MIN) });
    }
  }

  private billing(out: DayRecords, r: Rng, u: User, dayStart: number): void {
    const dayEnd = dayStart + DAY;
    for (const s of u.subs) {
      if (s.status === 'expired') continue;
      // voluntary cancellation (paying subscribers), effective at period end
      if ((s.status === 'active' || s.status === 'past_due') && s.cancelledAt === null && r.chance(s.plan.billing_period === 'annual' ? 0.0004 : 0.0016)) {
        const at = dayStart + r.int(30, 1400) * MIN;
        s.cancelledAt = at;
        s.status = 'cancelled';
        this.event(out, u, s, 'cancelled', at, Math.max(at, s.nextBill), -this.monthlyUsd(s.plan));
        out.subscription.push(this.subscriptionRecord(u, s, at));
      }
      // plan change (upgrade or downgrade)
      if (s.status === 'active' && r.chance(0.0007)) {
        const at = dayStart + r.int(30, 1400) * MIN;
        const others = TIERS.map((t) => t.tier).filter((t) => t !== s.plan.tier);
        const prev = s.plan;
        s.plan = this.plan(u, r.pick(others), prev.billing_period);
        this.event(out, u, s, 'plan_changed', at, at, money(this.monthlyUsd(s.plan) - this.monthlyUsd(prev)), prev);
        out.subscription.push(this.subscriptionRecord(u, s, at));
      }
      if (s.nextBill >= dayEnd) continue;
      const at = Math.max(s.nextBill, dayStart + MIN);
      if (s.status === 'cancelled') {
        // period over: service ends
        s.status = 'expired';
        s.endedAt = at;
        s.nextBill = Number.POSITIVE_INFINITY;
        this.event(out, u, s, 'expired', at, at, 0);
        out.subscription.push(this.subscriptionRecord(u, s, at));
        continue;
      }
      if (s.status === 'trialing' && s.trialStart !== null && !s.converts) {
        s.status = 'expired';
        s.endedAt = s.trialEnd;
        s.nextBill = Number.POSITIVE_INFINITY;
        this.event(out, u, s, 'trial_expired', at, at, 0);
        out.subscription.push(this.subscriptionRecord(u, s, at));
        continue;
      }
      const pSuccess = s.attempt === 1 ? 0.9 : 0.5;
      const ok = r.chance(pSuccess);
      this.charge(out, r, u, s, at, ok);
      const periodDays = s.plan.billing_period === 'annual' ? 365 : 30;
      if (ok) {
        const wasTrial = s.status === 'trialing';
        const wasPastDue = s.status === 'past_due';
        s.attempt = 1;
        s.nextBill = at + periodDays * DAY;
        if (wasTrial) {
          s.status = 'active';
          s.paidStart = at;
          this.event(out, u, s, s.trialStart === null ? 'renewed' : 'trial_converted', at + MIN, at, this.monthlyUsd(s.plan));
          out.subscription.push(this.subscriptionRecord(u, s, at + MIN));
          const anon = (u as User & { anon?: string }).anon;
          if (anon !== undefined)
            out.funnel.push({
              event_id: this.nextId('fe'),
              anonymous_id: anon,
              user_id: u.id,
              step: 'paid_conversion',
              channel: u.channel === 'unknown' ? 'direct' : u.channel,
              campaign: null,
              country: u.market.country,
              event_at: ts(at + MIN),
            });
        } else {
          this.event(out, u, s, 'renewed', at + MIN, at, 0);
          if (wasPastDue) {
            s.status = 'active';
            out.subscription.push(this.subscriptionRecord(u, s, at + MIN));
          }
        }
      } else if (s.attempt >= 4 || s.status === 'trialing') {
        // dunning exhausted (or a first charge that never went through): service ends
        const paid = s.paidStart !== null;
        s.status = 'expired';
        s.endedAt = at + MIN;
        s.nextBill = Number.POSITIVE_INFINITY;
        this.event(out, u, s, paid ? 'expired' : 'trial_expired', at + MIN, at + MIN, paid ? -this.monthlyUsd(s.plan) : 0);
        out.subscription.push(this.subscriptionRecord(u, s, at + MIN));
      } else {
        if (s.status === 'active') {
          s.status = 'past_due';
          out.subscription.push(this.subscriptionRecord(u, s, at + MIN));
        }
        s.attempt++;
        s.nextBill = at + 3 * DAY;
      }
    }
    // a churned customer comes back on a new subscription
    const last = u.subs[u.subs.length - 1];
    if (last && last.status === 'expired' && last.paidStart !== null && r.chance(0.002)) {
      const at = dayStart + r.int(30, 1400) * MIN;
      const s = this.newSubscription(u, this.plan(u));
      s.status = 'trialing';
      s.nextBill = at;
      this.event(out, u, s, 'reactivated', at, at, this.monthlyUsd(s.plan));
      out.subscription.push(this.subscriptionRecord(u, s, at));
    }
  }

  private profileChanges(out: DayRecords, r: Rng, u: User, dayStart: number): void {
    if (!r.chance(0.0015)) return;
    const at = dayStart + r.int(30, 1400) * MIN;
    if (r.chance(0.4)) {
      // moved within the same currency area, so prices stay coherent
      const options = MARKETS.filter((m) => m.currency === u.market.currency && m.country !== u.market.country);
      if (options.length > 0) u.market = r.pick(options);
      else u.optIn = !u.optIn;
    } else u.optIn = !u.optIn;
    if (at <= u.signupAt) return;
    out.account.push(this.accountRecord(u, at));
  }

  private hasService(u: User, at: number): boolean {
    return u.subs.some((s) => s.status !== 'expired' && (s.trialStart !== null || s.paidStart !== null) && (s.trialStart ?? s.paidStart ?? Infinity) <= at);
  }

  private watching(out: DayRecords, r: Rng, u: User, d: number, dayStart: number): void {
    const weekday = new Date(dayStart).getUTCDay();
    const boost = weekday === 0 || weekday === 6 ? 1.3 : 1;
    if (!r.chance(Math.min(0.95, u.engagement * boost))) return;
    const sessions = r.chance(0.25) ? 2 : 1;
    for (let i = 0; i < sessions; i++) {
      const hour = r.weighted([
        [7, 1],
        [12, 2],
        [18, 3],
        [20, 5],
        [22, 3],
      ] as const);
      const start = dayStart + (hour * 60 + r.int(0, 100)) * MIN + r.int(0, 59) * 1000;
      if (start <= u.signupAt || !this.hasService(u, start)) continue;
      const device = r.chance(0.8) ? u.device : r.weighted(DEVICES);
      const short = r.chance(0.05);
      let seconds = short ? r.int(3, 25) : r.int(8, 150) * 60;
      if (start + seconds * 1000 >= dayStart + DAY) seconds = Math.floor((dayStart + DAY - 1000 - start) / 1000);
      const sessionId = this.nextId('ps');
      out.session.push({
        session_id: sessionId,
        user_id: u.id,
        device_type: device,
        country: u.market.country,
        ip_address: `${10 + (u.n % 200)}.${(u.n >> 8) % 256}.${u.n % 256}.${r.int(1, 254)}`,
        started_at: ts(start),
        ended_at: ts(start + seconds * 1000),
        duration_seconds: seconds,
        app_version: `5.${(d >> 3) % 10}.${u.n % 7}`,
      });
      if (short) continue;
      let t = start + r.int(5, 60) * 1000;
      let left = seconds - 60;
      for (let k = 0; k < 4 && left > 120; k++) {
        const title = this.popularity.draw(r);
        if (title.releasedDay > d) continue;
        const full = title.minutes * 60;
        const pct = r.chance(0.55) ? r.int(90, 100) : r.int(3, 89);
        const watched = Math.max(30, Math.min(left, Math.round((full * pct) / 100)));
        out.play.push({
          watch_id: this.nextId('w'),
          session_id: sessionId,
          user_id: u.id,
          content_id: title.content_id,
          started_at: ts(t),
          watch_seconds: watched,
          completion_pct: Math.min(100, Math.round((watched / full) * 1000) / 10),
          device_type: device,
        });
        t += (watched + r.int(5, 90)) * 1000;
        left -= watched + 60;
      }
    }
  }

  private priceChange(out: DayRecords, r: Rng, dayStart: number): void {
    // premium monthly gets dearer by a dollar-equivalent; a legacy price point is retired
    const at = dayStart + r.int(60, 300) * MIN;
    for (const p of this.plans) {
      if (p.tier !== 'premium' || p.billing_period !== 'monthly') continue;
      const fx = FX_TO_USD[p.currency] ?? 1;
      p.price_usd = money(p.price_usd + 1);
      p.price = p.currency === 'USD' ? p.price_usd : Math.round(p.price_usd / fx) - 0.01;
      p.updated_at = ts(at);
      out.plan.push({ ...p });
    }
  }
}

/** The event-time field of each kind, used to order a day's records. */
export const TIME_FIELD: Readonly<Record<EntityKind, string>> = {
  account: 'updated_at',
  plan: 'updated_at',
  subscription: 'updated_at',
  billing_event: 'event_at',
  payment: 'updated_at',
  session: 'started_at',
  play: 'started_at',
  title: 'updated_at',
  funnel: 'event_at',
};
