// Processes for the benchmark: the `ladder` command run as a child with its
// resident memory sampled from /proc, CPU time read from /proc, the machine's
// load, a free port on 127.0.0.1. Linux only, as the benchmark is.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LADDER = join(ROOT, 'bin', 'ladder');

const TICKS_PER_SECOND =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const STDERR_LINES_KEPT = 200;

export function seconds(since) {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** The 1, 5 and 15 minute load averages, as /proc/loadavg prints them. */
export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** VmRSS of a process in KiB, or null once it has gone. */
export function vmRssKiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Fields of /proc/PID/stat after the command name, which may hold spaces. */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process: its own (user + system) and, with `reaped`, those
 * of the children it has waited for, which is where the time of a finished
 * `ladder` child or of an ended PostgreSQL backend goes.
 */
export function cpuSeconds(pid, { reaped = false } = {}) {
  const f = statFields(pid);
  if (f === null) return 0;
  const own = Number(f[11]) + Number(f[12]);
  const children = reaped ? Number(f[13]) + Number(f[14]) : 0;
  return (own + children) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of a process and all its children, live or ended: a PostgreSQL
 * server is the postmaster, its backends and its background workers.
 */
export function treeCpuSeconds(rootPid) {
  let total = cpuSeconds(rootPid, { reaped: true });
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (f !== null && Number(f[1]) === rootPid) total += cpuSeconds(Number(entry));
  }
  return total;
}

/** The parent of a process: the postmaster of a PostgreSQL backend. */
export function parentPid(pid) {
  const f = statFields(pid);
  return f === null ? null : Number(f[1]);
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `ladder ARGS` to its end, sampling its resident memory every
 * `sampleMs`; each stderr line goes to `onStderrLine` with the seconds since
 * the start. The child is killed after `timeoutSeconds`. Its CPU time is read
 * from our own /proc entry once it has been reaped.
 */
export async function runLadder(args, options = {}) {
  const { env = {}, sampleMs = 250, timeoutSeconds = 3_600, onStderrLine, onSample } = options;
  const cpuBefore = cpuSeconds(process.pid, { reaped: true }) - cpuSeconds(process.pid);
  const started = process.hrtime.bigint();
  const child = spawn(LADDER, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const samples = [];
  const sample = () => {
    const rssKiB = vmRssKiB(child.pid);
    if (rssKiB === null) return null;
    const point = { s: seconds(started), rssKiB };
    samples.push(point);
    onSample?.(point);
    return point;
  };
  const timer = setInterval(sample, sampleMs);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1_000);

  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    stdout += text;
  });
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
    onStderrLine?.(line, seconds(started), sample);
  });

  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  clearInterval(timer);
  clearTimeout(killer);
  const elapsed = seconds(started);
  if (code !== 0) {
    const why = signal === null ? `exit code ${code}` : `signal ${signal}`;
    throw new Error(`ladder ${args.join(' ')} ended with ${why}:\n${stderr.join('\n')}`);
  }

  const cpuAfter = cpuSeconds(process.pid, { reaped: true }) - cpuSeconds(process.pid);
  return { seconds: elapsed, cpuSeconds: cpuAfter - cpuBefore, samples, stdout, stderr };
}

/** Starts `ladder ARGS` and leaves it running (the server); `stop()` ends it by its pid. */
export function startLadder(args, { env = {} } = {}) {
  const child = spawn(LADDER, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
  });
  const ended = new Promise((resolve) => child.once('close', resolve));
  return {
    pid: child.pid,
    stderr,
    ended,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await ended;
      clearTimeout(timeout);
    },
  };
}

/** What the figures were measured on. */
export function machine() {
  const lscpu = spawnSync('lscpu', { encoding: 'utf8' });
  const model = /^Model name:\s+(.+)$/m.exec(lscpu.stdout ?? '')?.[1] ?? cpus()[0]?.model;
  return {
    nproc: cpus().length,
    cpu: model,
    lscpu: (lscpu.stdout ?? '').split('\n').slice(0, 10).join('\n'),
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
