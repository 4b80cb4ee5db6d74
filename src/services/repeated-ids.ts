/**
 * Which ids of a big file may occur more than once, found as the file
 * streams past, in memory that does not grow with the file: a Bloom filter
 * of a fixed number of bits. An id it has surely not seen sets its bits; an
 * id whose bits are all set already is a candidate, kept by name. Every id
 * that does repeat becomes a candidate (a Bloom filter has no false
 * negatives); a few that do not may too, and the store's check of the
 * candidates sorts them out. So the import groups a handful of ids in SQL
 * rather than every id of the file: for a million orders that grouping was
 * most of the time its checks took (0.8 of 1.0 s on PostgreSQL 15).
 *
 * Past `limit` candidates (a file that is mostly repeats) it gives up and
 * says so: the caller then groups every id.
 */
export class RepeatedIds {
  readonly #words: Uint32Array;
  readonly #mask: number;
  readonly #limit: number;
  readonly #candidates = new Set<string>();
  #overflowed = false;

  /** `bits` is rounded up to a power of two, at least 2^16 and at most 2^27 (16 MiB). */
  constructor(bits: number, limit = 100_000) {
    let size = 1 << 16;
    while (size < bits && size < 1 << 27) size *= 2;
    this.#words = new Uint32Array(size / 32);
    this.#mask = size - 1;
    this.#limit = limit;
  }

  /** The candidates, or null when there were more than the limit. */
  get candidates(): ReadonlySet<string> | null {
    return this.#overflowed ? null : this.#candidates;
  }

  /** Notes the id that is `text` from `start` to `end`. */
  add(text: string, start: number, end: number): void {
    // Two 32-bit hashes of the UTF-16 units (FNV-1a, and one mixed like
    // MurmurHash's), and four probes from them (double hashing).
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = start; i < end; i++) {
      const unit = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ unit, 0x01000193);
      h2 = Math.imul(h2 ^ unit, 0x5bd1e995);
      h2 ^= h2 >>> 13;
    }
    h2 |= 1;
    let seen = true;
    for (let k = 0; k < 4; k++) {
      const bit = (h1 + Math.imul(k, h2)) & this.#mask;
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      const words = this.#words;
      if (((words[word] as number) & flag) === 0) {
        seen = false;
        words[word] = (words[word] as number) | flag;
      }
    }
    if (!seen || this.#overflowed) return;
    this.#candidates.add(text.slice(start, end));
    if (this.#candidates.size > this.#limit) {
      this.#overflowed = true;
      this.#candidates.clear();
    }
  }
}
