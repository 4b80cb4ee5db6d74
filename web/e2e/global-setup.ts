import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Workbench } from '../src/api/types';
import {
  AS_OF_DAY,
  freePort,
  ladder,
  newWorkDir,
  REPO,
  startServe,
  waitReady,
  writeState,
} from './server';

/**
 * A small demo programme (60 merchants, the whole programme year, run to its
 * last assessment) in a fresh embedded store, and `ladder serve` on a free
 * port of 127.0.0.1 with tokens made by the CLI.
 *
 * The operator token comes from the CLI before the server starts (the
 * embedded store belongs to one process); the server then finds, through
 * the API, the merchants worth looking at (one holding coupons) and makes
 * their tokens through the API.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const step = (what: string) =>
    process.stderr.write(`e2e setup: ${what} (${Date.now() - started} ms)\n`);
  mkdirSync(join(REPO, 'test-results'), { recursive: true });
  const workDir = newWorkDir();
  ladder(['demo', '--merchants', '60', '--out', 'data', '--data', 'store'], workDir);
  step('demo data');
  const operatorToken = ladder(
    ['token', 'create', '--operator', '--data', 'store'],
    workDir,
  ).trim();
  step('operator token');

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServe(workDir, port);
  await waitReady(baseUrl, server);
  step('server up');
  const chosen = await chooseMerchants(baseUrl, operatorToken);
  step('merchants chosen');

  // Merchant tokens through the API, as an operator makes them while the server runs.
  const merchantTokens: Record<string, string> = {};
  for (const id of chosen) {
    const response = await fetch(`${baseUrl}/v1/tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${operatorToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'merchant', merchantId: id, label: 'e2e' }),
    });
    if (response.status !== 201) {
      throw new Error(`POST /v1/tokens: ${response.status} ${await response.text()}`);
    }
    merchantTokens[id] = ((await response.json()) as { token: string }).token;
  }
  step('merchant tokens');
  writeState({ baseUrl, workDir, pid: server.pid ?? 0, operatorToken, merchantTokens });
}

async function get<T>(baseUrl: string, token: string, path: string): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * The merchant with the most coupons (ties: the larger balance), and another
 * one for the access test. Chosen from the data, never named in the tests.
 */
async function chooseMerchants(baseUrl: string, token: string): Promise<[string, string]> {
  const list = await get<{ items: { id: string }[] }>(baseUrl, token, '/v1/merchants?limit=1000');
  const scored: { id: string; coupons: number; balance: number }[] = [];
  for (const { id } of list.items) {
    const bench = await get<Workbench>(
      baseUrl,
      token,
      `/v1/merchants/${id}/workbench?at=${AS_OF_DAY}T23:59:59%2B08:00`,
    );
    // Only for ranking; the tests compare the exact strings.
    scored.push({
      id,
      coupons: bench.coupons.items.length,
      balance: Number(bench.coupons.balanceCny),
    });
  }
  scored.sort((a, b) => b.coupons - a.coupons || b.balance - a.balance || a.id.localeCompare(b.id));
  const [first, second] = scored;
  if (first === undefined || second === undefined)
    throw new Error('the demo data has fewer than two merchants');
  return [first.id, second.id];
}
