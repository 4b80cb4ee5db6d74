import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What the tests share with the server they run against: its URL, tokens
 * made by the CLI, and the store directory. Written by the global setup,
 * read by each spec.
 */
export interface E2eState {
  readonly baseUrl: string;
  readonly workDir: string;
  readonly pid: number;
  readonly operatorToken: string;
  /** Merchant tokens by merchant id, made by `ladder token create --merchant`. */
  readonly merchantTokens: Record<string, string>;
}

/** The day the tests look at the workbench: inside the programme's last quarter. */
export const AS_OF_DAY = '2025-02-15';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const LADDER = join(REPO, 'bin', 'ladder');
const STATE_FILE = join(REPO, 'test-results', 'e2e-state.json');

export function readState(): E2eState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as E2eState;
}

export function writeState(state: E2eState): void {
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}

export function ladder(args: readonly string[], workDir: string): string {
  return execFileSync(process.execPath, [LADDER, ...args], {
    cwd: workDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '' },
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export function startServe(workDir: string, port: number): ChildProcess {
  if (!existsSync(join(REPO, 'web', 'dist', 'index.html'))) {
    throw new Error('web/dist is missing: run npm run build first');
  }
  return spawn(
    process.execPath,
    [LADDER, 'serve', '--data', 'store', '--host', '127.0.0.1', '--port', String(port)],
    {
      cwd: workDir,
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: false,
    },
  );
}

export async function waitReady(
  baseUrl: string,
  server: ChildProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`ladder serve exited with ${server.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`ladder serve at ${baseUrl} was not ready within ${timeoutMs} ms`);
}

export function newWorkDir(): string {
  return mkdtempSync(join(tmpdir(), 'ladder-e2e-'));
}
