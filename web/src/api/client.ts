import type { FieldError } from './types';

/**
 * The one way the app talks to the server: same origin, bearer token from
 * the session, problem+json errors turned into `ApiError`.
 */

export interface Session {
  readonly token: string;
  readonly role: 'operator' | 'merchant';
  readonly merchantId: string | null;
}

const SESSION_KEY = 'ladder.session';

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(SESSION_KEY);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Session;
    return typeof value.token === 'string' ? value : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(SESSION_KEY);
  else sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** A failed call: an HTTP problem from the server, or `NETWORK` when none answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fieldErrors: readonly FieldError[] = [],
    readonly requestId: string | null = null,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Path segments are encoded one by one: ids may hold `+` (a service) or `/`. */
export function path(...segments: readonly string[]): string {
  return segments.map((segment, i) => (i === 0 ? segment : encodeURIComponent(segment))).join('/');
}

let unauthenticated: (() => void) | null = null;

/** Called when the server refuses the session's token, so the app can sign out. */
export function onUnauthenticated(handler: (() => void) | null): void {
  unauthenticated = handler;
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // Not JSON: the status alone tells what happened.
  }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  const detail = typeof body.detail === 'string' ? body.detail : response.statusText;
  const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
  const requestId = typeof body.requestId === 'string' ? body.requestId : null;
  return new ApiError(response.status, code, detail, errors, requestId);
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  readonly token?: string;
}

async function send(url: string, options: RequestOptions): Promise<Response> {
  const token = options.token ?? loadSession()?.token;
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', (err as Error).message);
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    if (problem.status === 401 && options.token === undefined) unauthenticated?.();
    throw problem;
  }
  return response;
}

export async function api<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(url, options);
  return (await response.json()) as T;
}

/** Fetches a file with the session's token and hands it to the browser as a download. */
export async function download(url: string, accept: string, fallbackName: string): Promise<void> {
  const response = await send(url, { accept });
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const named = /filename="?([^";]+)"?/.exec(disposition)?.[1];
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = named ?? fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
