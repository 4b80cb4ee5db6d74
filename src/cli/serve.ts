import { LadderError } from '../core/errors.js';
import { formatInstant } from '../core/time.js';
import { startServer } from '../http/serve.js';
import { createToken, listTokens, mustBeMerchant, revokeToken } from '../services/tokens.js';
import { fromPg, fromPgNullable } from '../store/rows.js';
import { openCliStore, type StoreFlags, withStore } from './store-options.js';
import { renderTable } from './table.js';

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
  const created = await withStore(flags, async (db) => {
    if (who.kind === 'merchant') await mustBeMerchant(db, who.merchantId, '--merchant');
    return createToken(db, who, flags.label ?? null);
  });
  process.stderr.write(
    `token ${created.id} for ${who.kind === 'merchant' ? `merchant ${who.merchantId}` : 'operators'}; ` +
      'it is shown once and cannot be recovered:\n',
  );
  process.stdout.write(`${created.token}\n`);
}

/** `ladder token list`: ids, kinds and states; never a token, which the store does not have. */
export async function tokenListCommand(flags: StoreFlags): Promise<void> {
  const tokens = await withStore(flags, (db) => listTokens(db));
  const when = (text: string | null) => {
    const at = fromPgNullable(text);
    return at === null ? '' : formatInstant(at);
  };
  process.stdout.write(
    `${renderTable(
      ['id', 'kind', 'merchant', 'label', 'created', 'revoked'],
      tokens.map((t) => [
        t.id,
        t.kind,
        t.merchantId ?? '',
        t.label ?? '',
        formatInstant(fromPg(t.createdAt)),
        when(t.revokedAt),
      ]),
    )}\n`,
  );
}

/** `ladder token revoke ID`: the server refuses it within a few seconds (its cache). */
export async function tokenRevokeCommand(id: string, flags: StoreFlags): Promise<void> {
  const revoked = await withStore(flags, (db) => revokeToken(db, id));
  if (!revoked) {
    throw new LadderError('NOT_FOUND', `no live token ${id}`, [
      { path: 'ID', message: 'names no token that is not already revoked', value: id },
    ]);
  }
  process.stderr.write(`token ${id} revoked\n`);
}
