import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type LadderApp } from '../http/app.js';
import type { Clock } from '../http/context.js';
import { Metrics } from '../http/metrics.js';
import { ensureRulebook } from '../services/rulebooks.js';
import { createToken } from '../services/tokens.js';
import type { Db } from '../store/db.js';

/**
 * An app on a store of the test's, with tokens of each kind: an operator,
 * merchant M-A and merchant M-B (the merchants themselves are the test's to
 * ingest). `call` injects a request with one of the tokens, or none.
 */

export type Who = 'operator' | 'M-A' | 'M-B' | 'none' | 'bogus';

export interface TestApp {
  readonly app: LadderApp;
  readonly db: Db;
  readonly tokens: Readonly<Record<'operator' | 'M-A' | 'M-B', string>>;
  call(
    who: Who,
    method: 'GET' | 'POST' | 'DELETE' | 'PUT',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A clock a test moves by hand. */
export function fixedClock(at: number): Clock & { set(at: number): void } {
  let now = at;
  return {
    now: () => now,
    set: (next: number) => {
      now = next;
    },
  };
}

export async function openTestApp(db: Db, clock?: Clock): Promise<TestApp> {
  await ensureRulebook(db);
  const app = await buildApp({
    db,
    ...(clock ? { clock } : {}),
    logger: false,
    metrics: new Metrics(false),
    checkResponses: true,
  });
  const tokens = {
    operator: (await createToken(db, { kind: 'operator' })).token,
    'M-A': (await createToken(db, { kind: 'merchant', merchantId: 'M-A' })).token,
    'M-B': (await createToken(db, { kind: 'merchant', merchantId: 'M-B' })).token,
  };
  return {
    app,
    db,
    tokens,
    call(who, method, url, body, headers = {}) {
      const auth =
        who === 'none'
          ? {}
          : { authorization: `Bearer ${who === 'bogus' ? 'ldr_not-a-token' : tokens[who]}` };
      return app.inject({
        method,
        url,
        headers: { ...auth, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      });
    },
    async close() {
      await app.close();
    },
  };
}

/** A logger that says nothing, for the server's background workers under test. */
export const silentLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  fatal: () => undefined,
  child: (): unknown => silentLogger,
  level: 'silent',
  silent: () => undefined,
} as never;
