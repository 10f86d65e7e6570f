import { createClient, type Client } from 'graphql-ws';
import { errorFor, errorFromGraphQL, GraphQLErrorItem, TrainyardError } from './errors';
import type { Transport, TypedDocument } from './transport';

/**
 * GraphQL subscriptions over graphql-ws on the server's /graphql path, authenticated with the same
 * key (connectionParams.authorization). One WebSocket per client, opened on first use.
 */
export class Subscriptions {
  private client?: Client;

  constructor(private readonly t: Transport) {}

  private ws(): Client {
    if (this.client) return this.client;
    // Node 20 has no global WebSocket: the ws package (a dependency) stands in.
    const impl = (globalThis as { WebSocket?: unknown }).WebSocket ?? require('ws');
    this.client = createClient({
      url: this.t.url('/graphql').replace(/^http/, 'ws'),
      webSocketImpl: impl,
      connectionParams: () => (this.t.apiKey ? { authorization: `Bearer ${this.t.apiKey}` } : {}),
      lazy: true,
      lazyCloseTimeout: 1000,
      retryAttempts: 1,
      shouldRetry: () => true,
    });
    return this.client;
  }

  /** Results of a subscription as they come; ends when the server completes it or the signal aborts. */
  async *subscribe<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): AsyncGenerator<TResult, void, void> {
    const it = this.ws().iterate<TResult>({ query: document.toString(), variables: variables as Record<string, unknown> });
    const onAbort = () => void it.return?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        let r: IteratorResult<{ data?: TResult | null; errors?: readonly GraphQLErrorItem[] }>;
        try {
          r = await it.next();
        } catch (e) {
          throw subscriptionError(e);
        }
        if (r.done) return;
        if (r.value.errors?.length) throw errorFromGraphQL([...r.value.errors]);
        if (r.value.data) yield r.value.data;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await it.return?.();
    }
  }

  /** Closes the WebSocket (the process can then exit). */
  async close(): Promise<void> {
    await this.client?.dispose();
    this.client = undefined;
  }
}

/** A close event or a list of GraphQL errors, as the SDK's coded errors. */
function subscriptionError(e: unknown): TrainyardError {
  if (e instanceof TrainyardError) return e;
  if (Array.isArray(e)) return errorFromGraphQL(e as GraphQLErrorItem[]);
  const ev = e as { code?: number; reason?: string; message?: string };
  if (typeof ev?.code === 'number') {
    const code = ev.code === 4401 ? 'UNAUTHENTICATED' : ev.code === 4403 ? 'FORBIDDEN' : ev.code === 4400 ? 'BAD_USER_INPUT' : 'NETWORK';
    return errorFor(`subscription closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`, { code, details: { closeCode: ev.code } });
  }
  return errorFor(`subscription failed: ${ev?.message ?? String(e)}`, { code: 'NETWORK', cause: e });
}
