import type { FastifyBaseLogger } from 'fastify';
import { formatInstant, type Instant } from '../core/time.js';
import { assessmentCalendar, runUntil } from '../services/run.js';
import { tryRunLock } from '../services/run-lock.js';
import type { Db } from '../store/db.js';
import type { AppContext } from './context.js';
import type { Metrics } from './metrics.js';

/**
 * The scheduler inside `ladder serve`. Each tick runs the engine up to now:
 * an assessment whose effective instant has come (00:00 Shanghai on the
 * 2nd, SPEC §4) runs then, and one that came due while the server was down
 * runs at the first tick, at start-up. The engine also prices the facts
 * that arrived since the last tick.
 *
 * Exactly once across servers: a tick runs only while it holds the run lock
 * (services/run-lock.ts, an advisory lock on PostgreSQL); a server that does
 * not get it skips the tick, and `runUntil` itself takes a lock per
 * assessment and checks `assessment_runs`, so a run is never repeated.
 */

export interface SchedulerOptions {
  /** Longest wait between ticks; a tick also fires at each assessment instant. */
  readonly intervalMs?: number;
}

export interface TickOutcome {
  readonly outcome: 'ran' | 'skipped' | 'failed';
  /** `3+N 2024-Q2`: the assessments this tick ran. */
  readonly assessments: string[];
}

const DEFAULT_INTERVAL_MS = 60_000;
/** setTimeout's ceiling; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export class Scheduler {
  readonly #db: Db;
  readonly #context: AppContext;
  readonly #metrics: Metrics;
  readonly #log: FastifyBaseLogger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<TickOutcome> | null = null;
  #stopped = false;

  constructor(
    context: AppContext & { metrics: Metrics },
    log: FastifyBaseLogger,
    options: SchedulerOptions = {},
  ) {
    this.#db = context.db;
    this.#context = context;
    this.#metrics = context.metrics;
    this.#log = log;
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  /** Runs everything due by the clock's now, if no other server is running it. */
  tick(): Promise<TickOutcome> {
    if (this.#running) return this.#running;
    this.#running = this.#tick().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #tick(): Promise<TickOutcome> {
    const now = this.#context.clock.now();
    try {
      const outcome = await tryRunLock(this.#db, () => runUntil(this.#db, now));
      if (!outcome.ran) {
        this.#metrics.schedulerRuns.inc({ outcome: 'skipped' });
        this.#log.debug({ until: formatInstant(now) }, 'run held by another server');
        return { outcome: 'skipped', assessments: [] };
      }
      const summary = outcome.value;
      this.#metrics.schedulerRuns.inc({ outcome: 'ran' });
      for (const done of summary.assessments) {
        this.#log.info(
          { service: done.service, quarter: done.quarter, merchants: done.merchants },
          'assessment ran',
        );
      }
      if (summary.fees + summary.charges + summary.settlements + summary.statusChanges > 0) {
        this.#log.info(
          {
            fees: summary.fees,
            charges: summary.charges,
            settlements: summary.settlements,
            statusChanges: summary.statusChanges,
          },
          'facts priced',
        );
      }
      return {
        outcome: 'ran',
        assessments: summary.assessments.map((a) => `${a.service} ${a.quarter}`),
      };
    } catch (err) {
      this.#metrics.schedulerRuns.inc({ outcome: 'failed' });
      this.#log.error({ err }, 'scheduled run failed');
      return { outcome: 'failed', assessments: [] };
    }
  }

  /** The next assessment instant after `now` that has not run, if any. */
  async nextAssessmentAt(now: Instant): Promise<Instant | null> {
    const rulebooks = await this.#context.rulebooks.get(this.#db);
    const done = new Set(
      (
        await this.#db.query<{ service: string; quarter: string }>(
          'SELECT service, quarter FROM assessment_runs',
        )
      ).map((r) => `${r.service}|${r.quarter}`),
    );
    const next = assessmentCalendar(rulebooks).find(
      (d) => d.at > now && !done.has(`${d.service}|${d.quarter}`),
    );
    return next?.at ?? null;
  }

  /** Ticks now (catching up on anything missed), then at each assessment instant and every interval. */
  start(): void {
    this.#stopped = false;
    const loop = async () => {
      await this.tick();
      if (this.#stopped) return;
      let waitMs = this.#intervalMs;
      try {
        const now = this.#context.clock.now();
        const next = await this.nextAssessmentAt(now);
        if (next !== null) waitMs = Math.max(0, Math.min(waitMs, next - now));
      } catch (err) {
        this.#log.error({ err }, 'could not read the assessment calendar');
      }
      if (this.#stopped) return;
      this.#timer = setTimeout(() => void loop(), Math.min(waitMs, MAX_TIMER_MS));
    };
    void loop();
  }

  /** Stops ticking and waits for a tick in flight to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#running) await this.#running;
  }
}
