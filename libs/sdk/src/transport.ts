import { errorFor, errorFromGraphQL, errorFromResponse, GraphQLErrorItem, NetworkError, TrainyardError } from './errors';

/** What the generated typed documents are: a string that knows its result and variables types. */
export interface TypedDocument<TResult, TVariables> {
  toString(): string;
  /** Type-level only (graphql-codegen's DocumentTypeDecoration). */
  __apiType?: (variables: TVariables) => TResult;
}

export interface TransportOptions {
  /** The server's base URL, e.g. http://localhost:3000 (no /graphql). */
  url: string;
  /** An API key (`Authorization: Bearer <key>`). */
  apiKey?: string;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
  /** Per-request time limit for GraphQL and small REST calls (default 60 s). Uploads and downloads have none. */
  timeoutMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

/** GraphQL and REST over fetch, with the key, and every failure turned into a coded TrainyardError. */
export class Transport {
  readonly baseUrl: string;
  readonly apiKey?: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(opts: TransportOptions) {
    if (!opts.url) throw errorFor('a server URL is needed (e.g. http://localhost:3000)', { code: 'BAD_USER_INPUT' });
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw errorFor(`"${opts.url}" is not a URL (expected e.g. http://localhost:3000)`, { code: 'BAD_USER_INPUT' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw errorFor(`"${opts.url}": only http and https URLs`, { code: 'BAD_USER_INPUT' });
    this.baseUrl = parsed.toString().replace(/\/+$/, '').replace(/\/graphql$/, '');
    this.apiKey = opts.apiKey;
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'trainyard-sdk';
  }

  /** An absolute URL for a path the server returned (downloadUrl, predictUrl...) or one of its routes. */
  url(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'user-agent': this.userAgent, ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  /** Runs a typed GraphQL document; throws the first error as a TrainyardError subclass. */
  async request<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables?: TVariables, signal?: AbortSignal): Promise<TResult> {
    const res = await this.fetch(
      this.url('/graphql'),
      { method: 'POST', headers: this.headers({ 'content-type': 'application/json', accept: 'application/json' }), body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }) },
      signal,
    );
    const text = await res.text();
    let body: { data?: TResult | null; errors?: GraphQLErrorItem[] } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      throw errorFromResponse(res.status, text, res.headers.get('retry-after'), 'GraphQL');
    }
    if (body?.errors?.length) throw errorFromGraphQL(body.errors, res.status);
    if (!res.ok) throw errorFromResponse(res.status, body, res.headers.get('retry-after'), 'GraphQL');
    if (!body?.data) throw errorFor('GraphQL: the server answered without data', { code: 'INTERNAL', status: res.status, body });
    return body.data;
  }

  /** A REST call that answers JSON; non-2xx becomes a TrainyardError with the status and body. */
  async json<T>(method: string, path: string, body?: unknown, opts: { headers?: Record<string, string>; signal?: AbortSignal; what?: string } = {}): Promise<{ body: T; headers: Headers; status: number }> {
    const isBytes = body instanceof Uint8Array;
    const res = await this.fetch(
      this.url(path),
      {
        method,
        headers: this.headers({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': isBytes ? 'application/octet-stream' : 'application/json' }), ...opts.headers }),
        body: body === undefined ? undefined : isBytes ? (body as Uint8Array) : JSON.stringify(body),
      },
      opts.signal,
    );
    const parsed = await readBody(res);
    if (!res.ok) throw errorFromResponse(res.status, parsed, res.headers.get('retry-after'), opts.what ?? `${method} ${path}`);
    return { body: parsed as T, headers: res.headers, status: res.status };
  }

  /** A raw request (downloads): throws on non-2xx with the parsed error body. */
  async raw(method: string, path: string, opts: { headers?: Record<string, string>; signal?: AbortSignal; what?: string; noTimeout?: boolean } = {}): Promise<Response> {
    const res = await this.fetch(this.url(path), { method, headers: this.headers(opts.headers) }, opts.signal, opts.noTimeout);
    if (!res.ok) throw errorFromResponse(res.status, await readBody(res), res.headers.get('retry-after'), opts.what ?? `${method} ${path}`);
    return res;
  }

  private async fetch(url: string, init: RequestInit, signal?: AbortSignal, noTimeout = false): Promise<Response> {
    const signals = [signal, noTimeout ? undefined : AbortSignal.timeout(this.timeoutMs)].filter((s): s is AbortSignal => !!s);
    try {
      return await this.fetchImpl(url, { ...init, signal: signals.length ? AbortSignal.any(signals) : undefined });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw networkError(url, e);
    }
  }
}

export function networkError(url: string, e: unknown): TrainyardError {
  if (e instanceof TrainyardError) return e;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return errorFor(`${url}: no answer in time`, { code: 'TIMEOUT', cause: e });
  if (err?.name === 'AbortError') return errorFor(`${url}: cancelled`, { code: 'NETWORK', cause: e, details: { aborted: true } });
  const why = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
  return new NetworkError(`could not reach ${new URL(url).origin} (${why})`, { code: 'NETWORK', cause: e });
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
