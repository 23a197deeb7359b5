import { describe, expect, it } from '@jest/globals';
import { BROKEN, VALID, run } from './run.js';

const show = (name: string, ...extra: string[]) => run(['contracts', 'show', name, '--dir', VALID, ...extra]);

describe('streampulse contracts show <name>', () => {
  it('a dataset: identity, source, sla, columns with type / required / PII class and policy / constraints, rules, silver', async () => {
    const r = await show('subscribers');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const out = r.out;
    expect(out.split('\n')[0]).toBe('dataset subscribers  v1.2.0');
    expect(out).toContain('file test/fixtures/valid/datasets/subscribers.yaml');
    expect(out).toContain('account-service · jsonl · subscribers/{date}/subscribers.jsonl · daily · stream topic subscriber_changes');
    expect(out).toContain('fresh within 26 h, 99% complete');
    expect(out).toContain('landing 30 d, bronze 365 d, silver 730 d, quarantine 90 d'); // defaults applied
    expect(out).toMatch(/^ {2}NAME +TYPE +REQUIRED +PII \(CLASS\/POLICY\) +CONSTRAINTS +DESCRIPTION$/m);
    expect(out).toMatch(/^ {2}subscriber_id +string +yes +Account id\.$/m);
    expect(out).toMatch(/^ {2}email +string +no +email\/pseudonymise +Login e-mail\.$/m);
    expect(out).toMatch(/^ {2}full_name +string +no +person_name\/drop +Name on the account\.$/m);
    expect(out).toMatch(/^ {2}country +string +no +max length 2 +ISO country of the account\.$/m);
    expect(out).toMatch(/^ {2}not_null +subscriber_id is not null +quarantine$/m);
    expect(out).toMatch(/^ {2}regex +country matches \^\[A-Z\]\{2\}\$ +warn$/m);
    expect(out).toContain('key subscriber_id; latest wins by updated_at desc');
    expect(out).toContain('country: trim, upper case');
    expect(out).toContain('type 2, tracking country (adds _valid_from, _valid_to, _is_current)');
    expect(out).toMatch(/^ {2}dropped +full_name$/m);
  });

  it('every rule kind reads as a check', async () => {
    const out = (await show('playbacks')).out;
    expect(out).toContain('csv (delimiter ",", with header)');
    expect(out).toMatch(/referential +subscriber_id exists in subscribers\.subscriber_id +quarantine/);
    expect(out).toMatch(/range +0 <= completion_pct <= 100 +drop/);
    expect(out).toMatch(/unique +\(playback_id\) is unique +fail/);
    expect(out).toMatch(/device_id +string +no +device_id\/keep/);
  });

  it('a model, a mart, the metrics and a dashboard', async () => {
    const model = await show('fact_playback');
    expect(model.code).toBe(0);
    expect(model.out.split('\n')[0]).toBe('model fact_playback  v1.0.0  (fact)');
    expect(model.out).toContain('from         silver dataset playbacks as p');
    expect(model.out).toMatch(/is_completed +boolean +no +coalesce\(p\.completion_pct, 0\) >= \$completion_threshold_pct +Completion/);
    expect(model.out).toMatch(/playback_id +string +no +\(same name\)/);

    const mart = await show('analytics_watch_daily');
    expect(mart.out).toContain('grain         play_date, country');
    expect(mart.out).toContain('left join gold model dim_subscriber as d on d.subscriber_id = f.subscriber_id');
    expect(mart.out).toContain('rows filtered by country = claim "country"');
    expect(mart.out).toContain('used by       viewing_board.viewers_trend, viewing_board.completion_by_country');
    expect(mart.out).toMatch(/viewers +bigint +count\(distinct f\.subscriber_id\) +active_viewers +Subscribers with at least one playback that day\./);

    const metrics = await show('metrics');
    expect(metrics.out).toMatch(
      /completion_rate +Completion rate +derived +ratio +completed_playbacks, playbacks +analytics_watch_daily\.completion_rate +.*Formula: completed_playbacks \/ playbacks/,
    );
    expect(metrics.out).toMatch(/\$completion_threshold_pct +90/);
    expect(metrics.out).toMatch(/\$run_date +\(built in\)/);

    const dash = await show('viewing_board');
    expect(dash.out.split('\n')[0]).toBe('dashboard viewing_board  "Viewing board"');
    expect(dash.out).toContain('viewers_trend  "Daily viewers"');
    expect(dash.out).toContain('shows    line of viewers by play_date');
    expect(dash.out).toContain('filters  play_date last_n_days 30');
    expect(dash.out).toContain('sort     completion_rate desc, limit 10');
  });

  it('--json: the parsed contract (defaults applied) with kind, name and file, sorted keys', async () => {
    const r = await show('subscribers', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      ok: boolean;
      kind: string;
      name: string;
      file: string;
      contract: Record<string, unknown> & { columns: { name: string; pii?: unknown }[] };
    };
    expect(Object.keys(doc)).toEqual(['contract', 'file', 'kind', 'name', 'ok']);
    expect(doc).toMatchObject({ ok: true, kind: 'dataset', name: 'subscribers', file: 'test/fixtures/valid/datasets/subscribers.yaml' });
    expect(doc.contract['retention']).toEqual({ bronze_days: 365, landing_days: 30, quarantine_days: 90, silver_days: 730 });
    expect(doc.contract.columns.find((c) => c.name === 'email')?.pii).toEqual({ class: 'email', policy: 'pseudonymise' });
    expect(doc.contract).not.toHaveProperty('file');
    expect(Object.keys(doc.contract)).toEqual([...Object.keys(doc.contract)].sort());
    const metrics = JSON.parse((await show('metrics', '--json')).out) as { kind: string; contract: { parameters: unknown } };
    expect(metrics.kind).toBe('metrics');
    expect(metrics.contract.parameters).toEqual({ completion_threshold_pct: 90 });
  });

  it('an unknown name: a clear error with a "did you mean" and the names to choose from; exit 1, nothing on stdout', async () => {
    const r = await show('subscriber');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('CLI_UNKNOWN_CONTRACT: no contract named "subscriber" — did you mean "subscribers"?');
    expect(r.err).toContain('fix: give the name of a dataset, model, mart or dashboard, or "metrics": playbacks, subscribers, dim_subscriber');
    expect(r.err).not.toMatch(/^\s+at /m);
    const far = await show('zzzzzzzz');
    expect(far.err).toContain('no contract named "zzzzzzzz"\n');
  });

  it('an unknown name with --json: the error as JSON on stdout', async () => {
    const r = await show('dim_subscribr', '--json');
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as { ok: boolean; error: { code: string; message: string; remedy: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe('CLI_UNKNOWN_CONTRACT');
    expect(doc.error.message).toContain('did you mean "dim_subscriber"?');
  });

  it('refuses an invalid contract set with every issue (CONTRACT_INVALID); exit 1', async () => {
    const r = await run(['contracts', 'show', 'playbacks', '--dir', BROKEN]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('CONTRACT_INVALID: 3 problem(s) in 3 contract file(s)');
    expect(r.err).toContain('test/fixtures/broken/datasets/subscribers.yaml:37:11');
    const json = JSON.parse((await run(['contracts', 'show', 'playbacks', '--dir', BROKEN, '--json'])).out) as { error: { code: string; issues: unknown[] } };
    expect(json.error.code).toBe('CONTRACT_INVALID');
    expect(json.error.issues).toHaveLength(3);
  });
});
