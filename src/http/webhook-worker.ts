import type { FastifyBaseLogger } from 'fastify';
import {
  type ClaimedDelivery,
  claimDeliveries,
  enqueueDeliveries,
  recordDelivery,
  signature,
  WEBHOOK_POLICY,
  type WebhookPolicy,
} from '../services/webhooks.js';
import type { AppContext } from './context.js';
import type { Metrics } from './metrics.js';

/**
 * Delivers the webhook outbox (services/webhooks.ts): each poll queues the
 * feed's new events per subscription, claims the deliveries that are due,
 * and POSTs each, signed, with the event id for the receiver to drop
 * repeats. A failure is retried with exponential backoff.
 */

export interface WebhookWorkerOptions {
  readonly pollMs?: number;
  readonly policy?: WebhookPolicy;
  /** Deliveries sent at once per poll. */
  readonly batch?: number;
}

export class WebhookWorker {
  readonly #context: AppContext & { metrics: Metrics };
  readonly #log: FastifyBaseLogger;
  readonly #pollMs: number;
  readonly #policy: WebhookPolicy;
  readonly #batch: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #stopped = false;

  constructor(
    context: AppContext & { metrics: Metrics },
    log: FastifyBaseLogger,
    options: WebhookWorkerOptions = {},
  ) {
    this.#context = context;
    this.#log = log;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#policy = options.policy ?? WEBHOOK_POLICY;
    this.#batch = options.batch ?? 20;
  }

  /** One poll; returns how many deliveries it attempted. */
  poll(): Promise<number> {
    if (this.#running) return this.#running;
    this.#running = this.#poll().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #poll(): Promise<number> {
    const { db, clock } = this.#context;
    await enqueueDeliveries(db, clock.now());
    const claimed = await claimDeliveries(db, clock.now(), this.#batch, this.#policy);
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)));
    return claimed.length;
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const { db, clock, metrics } = this.#context;
    const body = JSON.stringify(delivery.event);
    const timestampS = Math.floor(clock.now() / 1000);
    let outcome: { ok: boolean; status: number | null; error: string | null };
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#policy.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ladder-webhooks/1',
          'ladder-event-id': delivery.event.id,
          'ladder-event-type': delivery.event.type,
          'ladder-signature': signature(delivery.secret, timestampS, body),
        },
      });
      await response.arrayBuffer().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      outcome = { ok, status: response.status, error: ok ? null : `answered ${response.status}` };
    } catch (err) {
      outcome = { ok: false, status: null, error: (err as Error).message };
    }
    const status = await recordDelivery(db, delivery, outcome, clock.now(), this.#policy);
    metrics.webhookDeliveries.inc({ outcome: status });
    const fields = {
      subscription: delivery.subscriptionId,
      event: delivery.event.id,
      attempt: delivery.attempts,
      status: outcome.status,
    };
    if (status === 'delivered') this.#log.debug(fields, 'webhook delivered');
    else
      this.#log.warn({ ...fields, error: outcome.error, outcome: status }, 'webhook not delivered');
  }

  start(): void {
    this.#stopped = false;
    const loop = async () => {
      try {
        await this.poll();
      } catch (err) {
        this.#log.error({ err }, 'webhook poll failed');
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#pollMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#running) await this.#running.catch(() => undefined);
  }
}
