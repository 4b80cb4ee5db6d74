import { readFile } from 'node:fs/promises';
import { LadderError } from '../core/errors.js';
import { replayScenario } from '../services/replay.js';
import { openStore } from '../store/open.js';

/** Reads, checks and replays one scenario file on a fresh in-memory store; prints the report. */
export async function replayCommand(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LadderError('INVALID_INPUT', `cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LadderError('INVALID_INPUT', `${file} is not valid JSON: ${(err as Error).message}`, [
      { path: '(root)', message: 'is not valid JSON' },
    ]);
  }

  const db = await openStore({ memory: true });
  try {
    const report = await replayScenario(db, raw);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await db.close();
  }
}
