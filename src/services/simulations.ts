import { randomBytes } from 'node:crypto';
import { LadderError } from '../core/errors.js';
import { formatInstant, type Instant } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { fromPg, toPg } from '../store/rows.js';
import { type Change, jsonDiff } from './rulebook-views.js';
import type {
  PreparedSimulation,
  SimulationRequest,
  SimulationResult,
  SimulationStage,
  Totals,
} from './simulate.js';

/**
 * Simulations as a resource of the API: asked for, queued, run, and kept in
 * the `simulations` table with their request and result, so that they
 * survive a restart and can be compared. The run itself is `simulate`'s;
 * this module only records it.
 */

export type SimulationStatus = 'running' | 'done' | 'failed';

/** `queued` until its turn; then the stage `simulate` reports. */
export type SimulationStep = 'queued' | SimulationStage;

export interface SimulationFailure {
  readonly code: string;
  readonly message: string;
  readonly issues: { path: string; message: string; value?: unknown }[];
}

export interface StoredRequest {
  readonly draft: unknown;
  readonly base: string | null;
  readonly from: string;
  readonly to: string;
}

/** A simulation as `GET /v1/simulations/{id}` shows it. */
export interface SimulationRecord {
  readonly id: string;
  readonly status: SimulationStatus;
  readonly stage: SimulationStep | null;
  /** 0 … 1. */
  readonly progress: number;
  readonly request: StoredRequest;
  /** What the draft changes in the base version, path by path. */
  readonly changes: Change[];
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly result?: SimulationResult;
  readonly error?: SimulationFailure;
}

/** A simulation in the list: its request without the draft, and its totals when done. */
export interface SimulationSummary extends Omit<SimulationRecord, 'request' | 'result'> {
  readonly request: Omit<StoredRequest, 'draft'>;
  readonly baseRulebook: string | null;
  readonly draftRulebook: string | null;
  readonly moves: number | null;
  readonly totals: { base: Totals; draft: Totals; difference: Totals } | null;
}

/** How many finished simulations the store keeps; older ones are deleted as new ones finish. */
export const KEPT_SIMULATIONS = 100;

/** A running simulation whose heartbeat is older than this belongs to a process that died. */
export const STALE_AFTER_MS = 120_000;

export const INTERRUPTED: SimulationFailure = {
  code: 'INTERNAL',
  message: 'the server stopped before the simulation finished; start it again',
  issues: [],
};

export function newSimulationId(): string {
  return `sim-${randomBytes(8).toString('hex')}`;
}

/** The changes a draft makes to the base version, ignoring the version number itself. */
export function draftChanges(prepared: PreparedSimulation): Change[] {
  const version = prepared.draft.document.version;
  return jsonDiff({ ...prepared.base.document, version }, prepared.draft.document);
}

export async function insertSimulation(
  db: Queryable,
  entry: {
    readonly id: string;
    readonly request: SimulationRequest;
    readonly changes: Change[];
    readonly createdAt: Instant;
  },
): Promise<void> {
  const request: StoredRequest = {
    draft: entry.request.draft,
    base: entry.request.base ?? null,
    from: entry.request.from,
    to: entry.request.to,
  };
  await db.query(
    `INSERT INTO simulations (id, status, stage, progress, request, changes, created_at)
     VALUES ($1, 'running', 'queued', 0, $2::jsonb, $3::jsonb, $4)`,
    [entry.id, JSON.stringify(request), JSON.stringify(entry.changes), toPg(entry.createdAt)],
  );
}

export async function recordProgress(
  db: Queryable,
  id: string,
  progress: number,
  stage: SimulationStep,
): Promise<void> {
  await db.query(
    `UPDATE simulations SET progress = $2, stage = $3, heartbeat_at = now()
     WHERE id = $1 AND status = 'running'`,
    [id, String(progress), stage],
  );
}

/** Tells other servers on the same database that these simulations are still in hand. */
export async function touchSimulations(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE simulations SET heartbeat_at = now() WHERE id = ANY($1::text[]) AND status = 'running'`,
    [ids],
  );
}

export async function finishSimulation(
  db: Queryable,
  id: string,
  result: SimulationResult,
  at: Instant,
): Promise<void> {
  await db.query(
    `UPDATE simulations SET status = 'done', stage = 'done', progress = 1, result = $2::jsonb,
       finished_at = $3 WHERE id = $1`,
    [id, JSON.stringify(result), toPg(at)],
  );
  await pruneSimulations(db);
}

export async function failSimulation(
  db: Queryable,
  id: string,
  failure: SimulationFailure,
  at: Instant,
): Promise<void> {
  await db.query(
    `UPDATE simulations SET status = 'failed', stage = NULL, error = $2::jsonb, finished_at = $3
     WHERE id = $1`,
    [id, JSON.stringify(failure), toPg(at)],
  );
  await pruneSimulations(db);
}

/**
 * What a thrown error tells the person who asked: a LadderError says it all;
 * of anything else, only that it failed (the server log has the rest).
 */
export function failureOf(err: unknown): SimulationFailure {
  if (err instanceof LadderError) {
    return {
      code: err.code,
      message: err.message,
      issues: err.issues.map((i) => ({ path: i.path, message: i.message, value: i.value ?? null })),
    };
  }
  return { code: 'INTERNAL', message: 'the simulation failed; see the server log', issues: [] };
}

/**
 * Marks as failed the simulations left running by a process that is gone:
 * on the embedded store every one (only this process opens it); on a
 * PostgreSQL server those whose heartbeat stopped `STALE_AFTER_MS` ago.
 */
export async function failInterrupted(
  db: Queryable,
  kind: 'pglite' | 'postgres',
  at: Instant,
  except: readonly string[] = [],
): Promise<number> {
  const rows = await db.query<{ id: string }>(
    `UPDATE simulations SET status = 'failed', stage = NULL, error = $1::jsonb, finished_at = $2
     WHERE status = 'running' AND NOT (id = ANY($3::text[]))
       AND ($4 OR heartbeat_at < now() - make_interval(secs => $5))
     RETURNING id`,
    [JSON.stringify(INTERRUPTED), toPg(at), except, kind === 'pglite', STALE_AFTER_MS / 1000],
  );
  return rows.length;
}

/** Keeps the newest `KEPT_SIMULATIONS` finished simulations. */
async function pruneSimulations(db: Queryable): Promise<void> {
  await db.query(
    `DELETE FROM simulations WHERE status <> 'running' AND seq < (
       SELECT min(seq) FROM (
         SELECT seq FROM simulations WHERE status <> 'running' ORDER BY seq DESC LIMIT $1
       ) AS kept)`,
    [KEPT_SIMULATIONS],
  );
}

interface Row {
  id: string;
  seq: string;
  status: SimulationStatus;
  stage: SimulationStep | null;
  progress: string;
  request: StoredRequest;
  changes: Change[];
  error: SimulationFailure | null;
  created_at: string;
  finished_at: string | null;
}

function common(row: Row) {
  return {
    id: row.id,
    status: row.status,
    stage: row.stage,
    progress: Number(row.progress),
    changes: row.changes,
    createdAt: formatInstant(fromPg(row.created_at)),
    finishedAt: row.finished_at === null ? null : formatInstant(fromPg(row.finished_at)),
    ...(row.error === null ? {} : { error: row.error }),
  };
}

const COLUMNS =
  'id, seq, status, stage, progress::text AS progress, changes, error, created_at, finished_at';

export async function readSimulation(db: Queryable, id: string): Promise<SimulationRecord> {
  const rows = await db.query<Row & { result: SimulationResult | null }>(
    `SELECT ${COLUMNS}, request, result FROM simulations WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new LadderError('NOT_FOUND', `no simulation ${id}`);
  return {
    ...common(row),
    request: row.request,
    ...(row.result === null ? {} : { result: row.result }),
  };
}

/** The result of a finished simulation, for its downloads. */
export async function readSimulationResult(db: Queryable, id: string): Promise<SimulationResult> {
  const simulation = await readSimulation(db, id);
  if (simulation.result) return simulation.result;
  if (simulation.status === 'running') {
    throw new LadderError('NOT_READY', `simulation ${id} is still running; poll it until done`);
  }
  throw new LadderError('NOT_FOUND', `simulation ${id} failed and has no result`);
}

/** Newest first, `limit` at a time; `after` is the `next` of the previous page. */
export async function listSimulations(
  db: Queryable,
  page: { readonly after?: string | undefined; readonly limit: number },
): Promise<{ items: SimulationSummary[]; next: string | null }> {
  const after = page.after === undefined ? null : Number.parseInt(page.after, 10);
  if (after !== null && !(Number.isSafeInteger(after) && after > 0)) {
    throw new LadderError('INVALID_INPUT', 'after must be the next of a previous page', [
      { path: 'query.after', message: 'is not a cursor of this list', value: page.after },
    ]);
  }
  const rows = await db.query<
    Row & {
      base: string | null;
      from_quarter: string;
      to_quarter: string;
      base_rulebook: string | null;
      draft_rulebook: string | null;
      moves: number | null;
      totals: SimulationSummary['totals'];
    }
  >(
    `SELECT ${COLUMNS},
       request ->> 'base' AS base, request ->> 'from' AS from_quarter,
       request ->> 'to' AS to_quarter,
       result ->> 'baseRulebook' AS base_rulebook, result ->> 'draftRulebook' AS draft_rulebook,
       jsonb_array_length(result -> 'moves') AS moves, result -> 'totals' AS totals
     FROM simulations WHERE ($1::bigint IS NULL OR seq < $1)
     ORDER BY seq DESC LIMIT $2`,
    [after, page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map((row) => ({
    ...common(row),
    request: { base: row.base, from: row.from_quarter, to: row.to_quarter },
    baseRulebook: row.base_rulebook,
    draftRulebook: row.draft_rulebook,
    moves: row.moves === null ? null : Number(row.moves),
    totals: row.totals,
  }));
  const last = rows[page.limit - 1];
  return { items, next: rows.length > page.limit && last ? String(last.seq) : null };
}
