import type { FastifyBaseLogger } from 'fastify';
import { LadderError } from '../core/errors.js';
import { formatInstant } from '../core/time.js';
import { withRunLock } from '../services/run-lock.js';
import {
  prepareSimulation,
  type SimulationRequest,
  type SimulationResult,
  simulate,
} from '../services/simulate.js';
import {
  draftChanges,
  failInterrupted,
  failSimulation,
  failureOf,
  finishSimulation,
  INTERRUPTED,
  insertSimulation,
  newSimulationId,
  recordProgress,
  type SimulationRecord,
  type SimulationStep,
  touchSimulations,
} from '../services/simulations.js';
import type { Db } from '../store/db.js';
import type { Clock } from './context.js';

/**
 * The simulations asked of this server, run one at a time in the
 * background of the process. A request is checked at once (`submit` throws
 * the draft's or the quarters' errors), recorded as running, and queued;
 * the run takes the run lock, so it never overlaps an assessment run.
 *
 * Progress is kept in memory while a simulation runs: on the embedded store
 * the run's transaction holds the only connection, so a progress write
 * would wait for the run it reports on. On PostgreSQL it is also written to
 * the table, with a heartbeat, for the other servers on the same database.
 */

export interface SimulationQueueOptions {
  /** Simulations running, waiting or being checked at once; more are refused with NOT_READY. */
  readonly maxPending?: number;
  readonly heartbeatMs?: number;
}

interface Entry {
  readonly id: string;
  readonly request: SimulationRequest;
  /** What `GET` shows until the run ends. */
  record: SimulationRecord;
}

// One running and ten waiting behind it.
const DEFAULT_MAX_PENDING = 11;
const DEFAULT_HEARTBEAT_MS = 30_000;

export class SimulationQueue {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #log: FastifyBaseLogger;
  readonly #maxPending: number;
  readonly #heartbeatMs: number;
  readonly #waiting: Entry[] = [];
  readonly #live = new Map<string, Entry>();
  #running: Promise<void> | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  /** Requests being checked: they count against `maxPending` before they are queued. */
  #checking = 0;
  #closed = false;

  constructor(db: Db, clock: Clock, log: FastifyBaseLogger, options: SimulationQueueOptions = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#log = log;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  /** Marks as failed what a previous process left running, and starts the heartbeat. */
  async start(): Promise<void> {
    const failed = await failInterrupted(this.#db, this.#db.kind, this.#clock.now());
    if (failed > 0) this.#log.warn({ simulations: failed }, 'simulations interrupted earlier');
    if (this.#db.kind === 'postgres') {
      this.#heartbeat = setInterval(() => {
        touchSimulations(this.#db, [...this.#live.keys()]).catch((err: unknown) =>
          this.#log.warn({ err }, 'simulation heartbeat failed'),
        );
      }, this.#heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  /**
   * Checks the request against the store and queues it: the record as it
   * stands, `running` and `queued`. Throws INVALID_INPUT (the fields named),
   * NOT_FOUND for an unknown base version, NOT_READY when the queue is full.
   */
  async submit(request: SimulationRequest): Promise<SimulationRecord> {
    if (this.#closed) throw new LadderError('NOT_READY', 'the server is shutting down');
    const pending = this.#waiting.length + this.#checking + (this.#running ? 1 : 0);
    if (pending >= this.#maxPending) {
      throw new LadderError(
        'NOT_READY',
        `${pending} simulations are running or waiting; ask again when one has finished`,
      );
    }
    const id = newSimulationId();
    const createdAt = this.#clock.now();
    let changes: SimulationRecord['changes'];
    this.#checking += 1;
    try {
      changes = draftChanges(await prepareSimulation(this.#db, request));
      await insertSimulation(this.#db, { id, request, changes, createdAt });
    } finally {
      this.#checking -= 1;
    }

    const entry: Entry = {
      id,
      request,
      record: {
        id,
        status: 'running',
        stage: 'queued',
        progress: 0,
        request: {
          draft: request.draft,
          base: request.base ?? null,
          from: request.from,
          to: request.to,
        },
        changes,
        createdAt: formatInstant(createdAt),
        finishedAt: null,
      },
    };
    this.#live.set(id, entry);
    this.#waiting.push(entry);
    this.#log.info({ simulation: id, from: request.from, to: request.to }, 'simulation queued');
    this.#pump();
    return entry.record;
  }

  /** The record of a simulation this process still has in hand, else null (read the store). */
  live(id: string): SimulationRecord | null {
    return this.#live.get(id)?.record ?? null;
  }

  /** How many simulations wait behind the running one. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once nothing runs and nothing waits: for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Refuses new work, fails what waits, and lets the running simulation finish. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    const dropped = this.#waiting.splice(0);
    for (const entry of dropped) {
      this.#live.delete(entry.id);
      await failSimulation(this.#db, entry.id, INTERRUPTED, this.#clock.now());
    }
    await this.idle();
  }

  #pump(): void {
    if (this.#running || this.#waiting.length === 0) return;
    const entry = this.#waiting.shift() as Entry;
    this.#running = this.#run(entry).finally(() => {
      this.#running = null;
      this.#pump();
    });
  }

  async #run(entry: Entry): Promise<void> {
    const started = Date.now();
    let written: Promise<void> = Promise.resolve();
    const onProgress = (progress: number, stage: SimulationStep) => {
      entry.record = { ...entry.record, progress, stage };
      if (this.#db.kind !== 'postgres') return;
      // Another connection of the pool: the run's own transaction is not waited on.
      written = written
        .then(() => recordProgress(this.#db, entry.id, progress, stage))
        .catch((err: unknown) => this.#log.warn({ err }, 'simulation progress not recorded'));
    };

    let result: SimulationResult | null = null;
    let failure: unknown = null;
    try {
      result = await withRunLock(this.#db, () => simulate(this.#db, entry.request, onProgress));
    } catch (err) {
      failure = err;
    }
    await written;

    try {
      if (result) {
        await finishSimulation(this.#db, entry.id, result, this.#clock.now());
        this.#log.info(
          { simulation: entry.id, ms: Date.now() - started, moves: result.moves.length },
          'simulation done',
        );
      } else {
        const reason = failureOf(failure);
        if (failure instanceof LadderError) {
          this.#log.info({ simulation: entry.id, code: reason.code }, 'simulation refused');
        } else {
          this.#log.error({ simulation: entry.id, err: failure }, 'simulation failed');
        }
        await failSimulation(this.#db, entry.id, reason, this.#clock.now());
      }
    } catch (err) {
      this.#log.error({ simulation: entry.id, err }, 'simulation outcome not recorded');
    } finally {
      this.#live.delete(entry.id);
    }
  }
}
