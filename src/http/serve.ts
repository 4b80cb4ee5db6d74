import type { FastifyBaseLogger } from 'fastify';
import { ensureRulebook } from '../services/rulebooks.js';
import type { Db } from '../store/db.js';
import { buildApp, type LadderApp } from './app.js';
import { type Clock, systemClock } from './context.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { WebhookWorker, type WebhookWorkerOptions } from './webhook-worker.js';

/**
 * `ladder serve`: the API, the scheduler and the webhook worker in one
 * process over one store. `stop()` shuts down in order: no new requests,
 * the requests in flight answered, the run in flight finished, then the
 * store closed.
 */

export interface ServerOptions {
  readonly db: Db;
  readonly host: string;
  readonly port: number;
  readonly clock?: Clock;
  readonly logLevel?: string;
  readonly scheduler?: SchedulerOptions | false;
  readonly webhooks?: WebhookWorkerOptions | false;
}

export interface RunningServer {
  readonly app: LadderApp;
  readonly url: string;
  readonly scheduler: Scheduler | null;
  readonly webhooks: WebhookWorker | null;
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  await ensureRulebook(options.db);
  const app = await buildApp({
    db: options.db,
    clock: options.clock ?? systemClock,
    logger: {
      level: options.logLevel ?? 'info',
      // Tokens are never logged; this catches a header that finds its way into a log line.
      redact: ['req.headers.authorization', 'headers.authorization', '*.authorization'],
    },
  });
  const log: FastifyBaseLogger = app.log;
  const scheduler =
    options.scheduler === false
      ? null
      : new Scheduler(app.ladder, log.child({ component: 'scheduler' }), options.scheduler);
  const webhooks =
    options.webhooks === false
      ? null
      : new WebhookWorker(app.ladder, log.child({ component: 'webhooks' }), options.webhooks);

  const url = await app.listen({ host: options.host, port: options.port });
  scheduler?.start();
  webhooks?.start();

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      log.info({}, 'shutting down');
      await app.close();
      await scheduler?.stop();
      await webhooks?.stop();
      await options.db.close();
      log.info({}, 'stopped');
    })();
    return stopping;
  };
  return { app, url, scheduler, webhooks, stop };
}
