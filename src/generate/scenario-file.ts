import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { RulebookDocument } from '../core/rulebook/schema.js';
import type { GeneratedRow, RowKind } from './rows.js';

/**
 * The replay scenario of SPEC §12, written as the rows stream past, never
 * held whole. A merchant's object (with its rating changes and flags, which
 * the generator yields right after it) is written once its last part has
 * come; orders, events, charges and settlements go to part files beside the
 * scenario, one element per line, and are appended after the merchants when
 * the scenario is closed.
 */

export interface ScenarioHeader {
  readonly description: string;
  readonly rulebook: RulebookDocument;
  readonly asOf: string;
}

type Section = 'orders' | 'orderEvents' | 'charges' | 'settlements';

const SECTION_OF: Partial<Record<RowKind, Section>> = {
  orders: 'orders',
  'order-events': 'orderEvents',
  charges: 'charges',
  settlements: 'settlements',
};
const SECTIONS: readonly Section[] = ['orders', 'orderEvents', 'charges', 'settlements'];
const CHUNK_CHARS = 65_536;

interface MerchantObject {
  id: string;
  fxRating: string;
  fxRatingChanges?: Array<{ at: string; rating: string }>;
  riskFlags?: Array<{ from: string; to: string | null }>;
}

/**
 * An array written one element per line, with the commas between them.
 * Elements are gathered into chunks of about 64 KiB: one write per element
 * made the file system calls, not the generator, the slowest part.
 */
class JsonArrayPart {
  readonly stream: WriteStream;
  count = 0;
  #buffered = '';

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }

  write(element: unknown): Promise<unknown> | null {
    this.#buffered += `${this.count === 0 ? '' : ',\n'}    ${JSON.stringify(element)}`;
    this.count += 1;
    return this.#buffered.length < CHUNK_CHARS ? null : this.flush();
  }

  flush(): Promise<unknown> | null {
    const text = this.#buffered;
    this.#buffered = '';
    if (text === '') return null;
    return this.stream.write(text) ? null : once(this.stream, 'drain');
  }
}

export class ScenarioFile {
  readonly path: string;
  readonly #merchants: JsonArrayPart;
  readonly #parts: ReadonlyMap<Section, JsonArrayPart>;
  #pending: MerchantObject | null = null;

  constructor(dir: string, header: ScenarioHeader) {
    this.path = join(dir, 'scenario.json');
    this.#merchants = new JsonArrayPart(this.path);
    this.#parts = new Map(
      SECTIONS.map((section) => [section, new JsonArrayPart(partPath(dir, section))]),
    );

    const rulebook = JSON.stringify(header.rulebook, null, 2).replaceAll('\n', '\n  ');
    this.#merchants.stream.write(
      '{\n' +
        `  "description": ${JSON.stringify(header.description)},\n` +
        `  "rulebook": ${rulebook},\n` +
        `  "asOf": ${JSON.stringify(header.asOf)},\n` +
        '  "merchants": [\n',
    );
  }

  write({ kind, row }: GeneratedRow): Promise<unknown> | null {
    if (kind === 'merchants') {
      const flushed = this.#flushMerchant();
      this.#pending = { id: field(row, 'id'), fxRating: field(row, 'fxRating') };
      return flushed;
    }
    if (kind === 'fx-rating-changes') {
      const merchant = this.#pendingFor(field(row, 'merchantId'), kind);
      merchant.fxRatingChanges ??= [];
      merchant.fxRatingChanges.push({ at: field(row, 'at'), rating: field(row, 'rating') });
      return null;
    }
    if (kind === 'risk-flags') {
      const merchant = this.#pendingFor(field(row, 'merchantId'), kind);
      const to = field(row, 'to');
      merchant.riskFlags ??= [];
      merchant.riskFlags.push({ from: field(row, 'from'), to: to === '' ? null : to });
      return null;
    }

    const section = SECTION_OF[kind];
    if (section === undefined) return null; // fx-rates live in the rulebook
    const flushed = this.#flushMerchant();
    const written = this.#parts.get(section)?.write(element(kind, row)) ?? null;
    if (flushed !== null && written !== null) return Promise.all([flushed, written]);
    return flushed ?? written;
  }

  /** Writes the pending merchant and appends the parts, then removes them. */
  async close(): Promise<void> {
    const flushed = this.#flushMerchant();
    if (flushed !== null) await flushed;
    const merchantsWritten = this.#merchants.flush();
    if (merchantsWritten !== null) await merchantsWritten;

    const out = this.#merchants.stream;
    out.write(closing(this.#merchants.count));
    for (const [section, part] of this.#parts) {
      const last = part.flush();
      if (last !== null) await last;
      part.stream.end();
      await finished(part.stream);

      if (!out.write(`,\n  ${JSON.stringify(section)}: [${part.count === 0 ? '' : '\n'}`)) {
        await once(out, 'drain');
      }
      for await (const chunk of createReadStream(part.path)) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.write(closing(part.count));
      await rm(part.path);
    }

    out.end('\n}\n');
    await finished(out);
  }

  /** Stops writing and removes the part files; the scenario is left incomplete. */
  async abort(): Promise<void> {
    this.#merchants.stream.destroy();
    for (const part of this.#parts.values()) {
      part.stream.destroy();
      await rm(part.path, { force: true });
    }
  }

  #pendingFor(merchantId: string, kind: RowKind): MerchantObject {
    if (this.#pending?.id !== merchantId) {
      throw new Error(`scenario: ${kind} row of ${merchantId} does not follow its merchant`);
    }
    return this.#pending;
  }

  #flushMerchant(): Promise<unknown> | null {
    if (this.#pending === null) return null;
    const merchant = this.#pending;
    this.#pending = null;
    return this.#merchants.write(merchant);
  }
}

function partPath(dir: string, section: Section): string {
  return join(dir, `.scenario-${section}.part`);
}

function closing(count: number): string {
  return count === 0 ? ']' : '\n  ]';
}

function field(row: Record<string, string>, name: string): string {
  const value = row[name];
  if (value === undefined) throw new Error(`scenario: row has no ${name}`);
  return value;
}

/**
 * The scenario element of a row: the CSV columns under the same names,
 * except that an order without its own rate has no `usdCny` at all (SPEC §12
 * refuses `null` there).
 */
function element(kind: RowKind, row: Record<string, string>): Record<string, string> {
  if (kind !== 'orders' || row.usdCny !== '') return row;
  return Object.fromEntries(Object.entries(row).filter(([name]) => name !== 'usdCny'));
}
