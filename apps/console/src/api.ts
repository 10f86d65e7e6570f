/**
 * The console's way to the server: GraphQL and REST with the API key from session storage. Every
 * failure becomes an ApiError carrying the server's code and message, so pages can show it in words.
 */

const KEY_ITEM = 'trainyard.apiKey';
const BASE_ITEM = 'trainyard.baseUrl';

export interface Session {
  key: string;
  /** '' = the origin that served the console. */
  baseUrl: string;
}

export function loadSession(): Session | null {
  const key = sessionStorage.getItem(KEY_ITEM);
  return key ? { key, baseUrl: sessionStorage.getItem(BASE_ITEM) ?? '' } : null;
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY_ITEM, s.key);
  sessionStorage.setItem(BASE_ITEM, s.baseUrl);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY_ITEM);
  sessionStorage.removeItem(BASE_ITEM);
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
  }
  /** What a person reads: the message, then the code (and what to do for the common ones). */
  get sentence(): string {
    const hint = HINTS[this.code];
    return `${this.message}${this.message.endsWith('.') ? '' : '.'} (${this.code}${this.status ? `, HTTP ${this.status}` : ''})${hint ? ` ${hint}` : ''}`;
  }
}

const HINTS: Record<string, string> = {
  UNAUTHENTICATED: 'Sign in again with a valid API key.',
  FORBIDDEN: 'This key may not do that; ask the team owner for a key with a higher role.',
  NETWORK: 'Is the server running and reachable from this browser?',
  RATE_LIMITED: 'Wait a moment and try again.',
  QUOTA_EXCEEDED: 'A quota is used up; see the course page for what remains.',
};

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.sentence;
  if (err instanceof Error) return err.message;
  return String(err);
}

let session: Session | null = null;
/** Called when the server says the key is not (or no longer) valid. */
let onUnauthenticated: () => void = () => undefined;

export function useSessionForRequests(s: Session | null, unauthenticated: () => void): void {
  session = s;
  onUnauthenticated = unauthenticated;
}

export function url(path: string): string {
  return /^https?:/.test(path) ? path : `${session?.baseUrl ?? ''}${path}`;
}

function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ...(session ? { authorization: `Bearer ${session.key}` } : {}), ...extra };
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url(path), init);
  } catch (err) {
    throw new ApiError(`could not reach ${url(path) || 'the server'}: ${err instanceof Error ? err.message : err}`, 'NETWORK');
  }
}

/** A REST error body ({error, code}) or a bare status as an ApiError. */
async function restError(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let code = `HTTP_${res.status}`;
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') message = body.error;
    if (body && typeof body.code === 'string') code = body.code;
  } catch {
    /* not JSON: keep the status line */
  }
  const err = new ApiError(message, code, res.status);
  if (res.status === 401) onUnauthenticated();
  return err;
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await send('/graphql', {
    method: 'POST',
    headers: authHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = await res.json();
  } catch {
    throw await restError(res);
  }
  if (body.errors?.length) {
    const first = body.errors[0];
    const code = first.extensions?.code ?? 'INTERNAL';
    if (code === 'UNAUTHENTICATED') onUnauthenticated();
    throw new ApiError(body.errors.map((e) => e.message).join('; '), code, res.ok ? undefined : res.status);
  }
  if (!body.data) throw new ApiError('the server answered without data', 'INTERNAL', res.status);
  return body.data;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await send(path, { headers: authHeaders() });
  if (!res.ok) throw await restError(res);
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await send(path, { method: 'POST', headers: authHeaders({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
  if (!res.ok) throw await restError(res);
  return (await res.json()) as T;
}

export async function postBytes<T>(path: string, body: Blob): Promise<T> {
  const res = await send(path, { method: 'POST', headers: authHeaders({ 'content-type': body.type || 'application/octet-stream' }), body });
  if (!res.ok) throw await restError(res);
  return (await res.json()) as T;
}

/**
 * An image or file the server guards with the key, as a data: URL (allowed by the production
 * Content-Security-Policy's img-src, where blob: is not).
 */
export async function fetchDataUrl(path: string): Promise<string> {
  const res = await send(path, { headers: authHeaders() });
  if (!res.ok) throw await restError(res);
  const blob = await res.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new ApiError('could not read the image', 'INTERNAL'));
    reader.readAsDataURL(blob);
  });
}

/** Downloads a guarded file and hands it to the browser as a file to save. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await send(path, { headers: authHeaders() });
  if (!res.ok) throw await restError(res);
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** PUT a file with upload progress (fetch cannot report it; XMLHttpRequest can). */
export function putWithProgress(path: string, file: Blob, onProgress: (sent: number, total: number) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url(path));
    for (const [k, v] of Object.entries(authHeaders({ 'content-type': 'application/octet-stream' }))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(`could not reach ${url(path)}`, 'NETWORK'));
    xhr.onload = () => {
      let body: { error?: string; code?: string } | undefined;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve(body);
      } else {
        if (xhr.status === 401) onUnauthenticated();
        reject(new ApiError(body?.error ?? `${xhr.status} ${xhr.statusText}`, body?.code ?? `HTTP_${xhr.status}`, xhr.status));
      }
    };
    xhr.send(file);
  });
}
