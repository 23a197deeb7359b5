/**
 * A thin Metabase API client: JSON over HTTP with an API key (`x-api-key` header). The
 * HTTP function is injected (the global `fetch` by default), so the payloads and the plan
 * stay pure and tests run against an in-process server. Every failure — an HTTP error or
 * no response — is a StreamPulseError that names the step and the card and says what to do.
 */
import { StreamPulseError } from '@streampulse/contracts';

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<HttpResponse>;

export interface MetabaseClientOptions {
  /** The Metabase site's root, e.g. `https://metabase.example.org`. */
  readonly url: string;
  readonly apiKey: string;
  readonly fetch?: FetchLike;
  /** Per request (default 60 s). */
  readonly timeoutMs?: number;
}

/** What a request is for, as its error names it: `creating question for card "mrr_this_month"`. */
export interface Step {
  readonly what: string;
  readonly card?: string | undefined;
}

export const stepText = (s: Step): string => (s.card === undefined ? s.what : `${s.what} for card "${s.card}"`);

const REMEDY_401 =
  'check the API key: the Key Vault secret, or STREAMPULSE_METABASE_API_KEY / --api-key, must be a current API key of this Metabase (Admin settings → Authentication → API keys)';
const REMEDY_403 = "the API key's group may not do this: put the key in the Administrators group (adding and syncing a database needs an admin)";
const REMEDY_404 =
  "check that --url is the Metabase site's root (it serves /api/…) and that the object still exists; a re-run plans again from what Metabase holds";
const REMEDY_400 =
  'Metabase refused the request: fix what its message names (on the database, a 400 is its connection test failing: check the host, the database name and the identity’s access)';
const REMEDY_5XX = "Metabase failed while handling the request: read Metabase's log for the error, then re-run (a run only changes what differs)";
const REMEDY_NETWORK = 'check --url and that this machine reaches Metabase (DNS, firewall, private endpoint)';

export function remedyFor(status: number): string {
  if (status === 401) return REMEDY_401;
  if (status === 403) return REMEDY_403;
  if (status === 404) return REMEDY_404;
  if (status >= 500) return REMEDY_5XX;
  return REMEDY_400;
}

/** Metabase answers errors as text or as JSON (`{message}`, `{errors: {field: why}}`); the gist, shortened. */
function errorText(body: string): string {
  let text = body.trim();
  try {
    const j = JSON.parse(text) as unknown;
    if (typeof j === 'string') text = j;
    else if (j !== null && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      if (typeof o['message'] === 'string') text = o['message'];
      else if (o['errors'] !== undefined) text = JSON.stringify(o['errors']);
    }
  } catch {
    // plain text
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}

export class MetabaseClient {
  readonly url: string;
  readonly #apiKey: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(o: MetabaseClientOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.#apiKey = o.apiKey;
    this.#fetch = o.fetch ?? (globalThis.fetch as unknown as FetchLike);
    this.#timeoutMs = o.timeoutMs ?? 60_000;
  }

  get<T = Record<string, unknown>>(path: string, step: Step): Promise<T> {
    return this.#request<T>('GET', path, undefined, step);
  }

  post<T = Record<string, unknown>>(path: string, body: unknown, step: Step): Promise<T> {
    return this.#request<T>('POST', path, body, step);
  }

  put<T = Record<string, unknown>>(path: string, body: unknown, step: Step): Promise<T> {
    return this.#request<T>('PUT', path, body, step);
  }

  async #request<T>(method: string, path: string, body: unknown, step: Step): Promise<T> {
    const url = `${this.url}${path}`;
    const headers: Record<string, string> = { 'x-api-key': this.#apiKey, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: HttpResponse;
    let text: string;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      // duck-typed: fetch's TypeError may come from another realm (test runners), so no instanceof
      const err = e as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
      const code = err?.cause?.code;
      const why = typeof code === 'string' ? code : typeof err?.cause?.message === 'string' ? err.cause.message : String(err?.message ?? e);
      throw new StreamPulseError('METABASE_API_ERROR', `${stepText(step)}: no response from ${method} ${url} (${why})`, { remedy: REMEDY_NETWORK, cause: e });
    }
    if (res.status < 200 || res.status > 299)
      throw new StreamPulseError(
        'METABASE_API_ERROR',
        `${stepText(step)}: ${res.status} ${res.statusText} from ${method} ${path}${text.trim() === '' ? '' : `: ${errorText(text)}`}`,
        {
          remedy: remedyFor(res.status),
        },
      );
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new StreamPulseError('METABASE_API_ERROR', `${stepText(step)}: ${method} ${path} answered ${res.status} with a body that is not JSON`, {
        remedy: REMEDY_404,
        cause: e,
      });
    }
  }
}
