import { LadderError } from '../core/errors.js';
import { startServer } from '../http/serve.js';
import { createToken } from '../services/tokens.js';
import { openCliStore, type StoreFlags, withStore } from './store-options.js';

/** `ladder serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function serveCommand(
  flags: StoreFlags & { port: string; host: string; scheduler?: boolean },
): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65_535) {
    throw new LadderError('INVALID_INPUT', '--port must be a port number', [
      { path: '--port', message: 'must be a whole number from 0 to 65535', value: flags.port },
    ]);
  }
  const db = await openCliStore(flags);
  const server = await startServer({
    db,
    host: flags.host,
    port,
    logLevel: process.env.LOG_LEVEL ?? 'info',
    // Historic data (a demo year) is best loaded before the scheduler runs
    // the assessments it finds due; --no-scheduler leaves runs to operators.
    ...(flags.scheduler === false ? { scheduler: false as const } : {}),
  });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      server.app.log.info({ signal }, 'signal received');
      server.stop().then(resolve, (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

/** `ladder token create`: prints the token once on stdout; the store keeps only its hash. */
export async function tokenCreateCommand(
  flags: StoreFlags & { operator?: boolean; merchant?: string; label?: string },
): Promise<void> {
  if (Boolean(flags.operator) === (flags.merchant !== undefined)) {
    throw new LadderError('INVALID_INPUT', 'give exactly one of --operator or --merchant ID', [
      { path: '--operator/--merchant', message: 'exactly one of them is required' },
    ]);
  }
  const who =
    flags.merchant !== undefined
      ? { kind: 'merchant' as const, merchantId: flags.merchant }
      : { kind: 'operator' as const };
  const created = await withStore(flags, (db) => createToken(db, who, flags.label ?? null));
  process.stderr.write(
    `token ${created.id} for ${who.kind === 'merchant' ? `merchant ${who.merchantId}` : 'operators'}; ` +
      'it is shown once and cannot be recovered:\n',
  );
  process.stdout.write(`${created.token}\n`);
}
