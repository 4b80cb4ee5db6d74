#!/usr/bin/env node
// The HTTP benchmark: autocannon against GET /v1/merchants/{id}/workbench,
// with the demo data loaded, beside a trivial route (GET /healthz) measured
// in the same run; prints requests/s, p99 and their ratio.
//
//   npm run build && node bench/http.mjs [--seconds 5] [--connections 50] [--merchants 200]
//
// Embedded store by default; DATABASE_URL for a real PostgreSQL. Traffic
// goes to 127.0.0.1 only, for a bounded time. Aim (issue 3): 5,000 req/s at
// a p99 under 20 ms on two cores, on PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => join(root, 'dist', path);

function flag(name, fallback, max) {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    console.error(`--${name} must be a whole number from 1 to ${max}`);
    process.exit(2);
  }
  return value;
}
const seconds = flag('seconds', 5, 60);
const connections = flag('connections', 50, 500);
const merchants = flag('merchants', 200, 5_000);

const { writeDataset } = await import(dist('generate/generate.js'));
const { importDirectory } = await import(dist('services/import.js'));
const { runUntil } = await import(dist('services/run.js'));
const { createToken } = await import(dist('services/tokens.js'));
const { ensureRulebook } = await import(dist('services/rulebooks.js'));
const { startServer } = await import(dist('http/serve.js'));
const { openStore } = await import(dist('store/open.js'));
const { parseInstant } = await import(dist('core/time.js'));

const work = mkdtempSync(join(tmpdir(), 'ladder-bench-http-'));
const databaseUrl = process.env.DATABASE_URL;
const db = await openStore(databaseUrl ? { databaseUrl } : { memory: true });
try {
  process.stderr.write(`loading ${merchants} merchants of demo data into ${db.kind}…\n`);
  await ensureRulebook(db);
  await writeDataset(join(work, 'data'), {
    merchants,
    seed: 1,
    firstQuarter: '2024-Q1',
    lastQuarter: '2025-Q1',
  });
  await importDirectory(db, join(work, 'data'));
  await runUntil(db, parseInstant('2025-04-02T00:00:00+08:00'));
  // Fresh planner statistics after a bulk load, as autovacuum would take soon after.
  await db.query('ANALYZE');
  const ids = (await db.query('SELECT id FROM merchants ORDER BY id')).map((row) => row.id);
  const { token } = await createToken(db, { kind: 'operator' });

  const server = await startServer({
    db,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    scheduler: false,
    webhooks: false,
  });
  const headers = { authorization: `Bearer ${token}` };
  const measure = async (title, requests) => {
    const result = await autocannon({
      url: server.url,
      connections,
      duration: seconds,
      headers,
      requests,
    });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${title}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
    return { title, rps: result.requests.average, p99Ms: result.latency.p99 };
  };

  let next = 0;
  const trivial = await measure('GET /healthz', [{ method: 'GET', path: '/healthz' }]);
  const bench = await measure('GET /v1/merchants/{id}/workbench', [
    {
      method: 'GET',
      setupRequest: (request) => {
        const id = ids[next++ % ids.length];
        return {
          ...request,
          path: `/v1/merchants/${encodeURIComponent(id)}/workbench?at=2025-03-15`,
        };
      },
    },
  ]);
  await server.stop();

  const rows = [trivial, bench];
  const pad = (text, width) => String(text).padEnd(width);
  console.log(
    `store ${db.kind}, ${ids.length} merchants, ${connections} connections, ${seconds} s each`,
  );
  console.log(`${pad('route', 36)}${pad('req/s', 10)}p99 ms`);
  for (const row of rows)
    console.log(`${pad(row.title, 36)}${pad(Math.round(row.rps), 10)}${row.p99Ms}`);
  console.log(`workbench / trivial: ${(bench.rps / trivial.rps).toFixed(3)} of the requests/s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
