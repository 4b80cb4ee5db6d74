import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRulebook } from '../services/rulebooks.js';
import { createToken } from '../services/tokens.js';
import type { Db } from '../store/db.js';
import { openPgliteMemory } from '../store/pglite.js';
import { buildApp, type LadderApp } from './app.js';
import { Metrics } from './metrics.js';

/** STYLE habit 8: one structured line per request, with its request id, and never a token. */
describe('request logs', () => {
  const lines: Record<string, unknown>[] = [];
  let db: Db;
  let app: LadderApp;
  let token: string;

  beforeAll(async () => {
    db = await openPgliteMemory();
    await ensureRulebook(db);
    token = (await createToken(db, { kind: 'operator' })).token;
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    app = await buildApp({ db, logger: { level: 'info', stream }, metrics: new Metrics(false) });
  });

  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('writes one JSON line per request, with the request id and the token id, never the token', async () => {
    lines.length = 0;
    const headers = { authorization: `Bearer ${token}`, 'x-request-id': 'trace-1' };
    await app.inject({ method: 'GET', url: '/v1/rulebooks', headers });
    await app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { id: 'x' } });
    await app.inject({
      method: 'GET',
      url: '/v1/rulebooks',
      headers: { authorization: 'Bearer ldr_wrong' },
    });

    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.map((l) => [l.reqId, l.method, l.route, l.status])).toEqual([
      ['trace-1', 'GET', '/v1/rulebooks', 200],
      ['trace-1', 'POST', '/v1/orders', 400],
      [expect.stringMatching(/^req-/), 'GET', '/v1/rulebooks', 401],
    ]);
    expect(requests[0]?.token).toMatch(/^tok_/);
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(JSON.stringify(lines)).not.toContain('ldr_wrong');
  });
});
