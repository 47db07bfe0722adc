/**
 * Two 32-bit hashes of a text (FNV-1a over its UTF-16 code units, two bases and primes, each finished
 * with murmur3's avalanche): `first` places an id in FingerprintTable, `second` gives its fingerprint.
 * Written into the fields of one object, so the ingest path hashes without allocating.
 */
export class TextHash {
  first = 0;
  second = 0;

  of(text: string): this {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
    }
    this.first = avalanche(a ^ text.length) >>> 0;
    this.second = avalanche(b + 0x27d4eb2f) >>> 0;
    return this;
  }
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A table fuller than this says it is full: linear probing slows and its false matches grow. */
const MAX_LOAD = 0.75;
const MIN_SLOTS = 1024;
const LOW = 65_536;
/** Hints are the low 32 bits of what the caller files a text under (a millisecond: ~49.7 days). */
export const HINT_MODULO = 2 ** 32;

/**
 * An approximate map from texts to where each is filed (a hint: the low 32 bits of a number the caller
 * chooses), 48 bits a slot: a 16-bit fingerprint of the text and the hint's low 16 bits, and the
 * hint's high 16 bits beside them, in a slot chosen by the first hash, with linear probing. A text
 * added is always among the matches of its lookup, with its hint; a text not added matches about one
 * lookup in 10,000 (a probe run of a few slots, each matching 1 in 65,535). Nothing is ever removed: an
 * entry whose row was deleted only sends the caller to look once.
 */
export class FingerprintTable {
  private slots: Uint32Array;
  private high: Uint16Array;
  private mask: number;
  private held = 0;

  /** Room for `expected` texts at half the load it accepts, so a table built from a scan has room to grow. */
  constructor(expected: number) {
    let size = MIN_SLOTS;
    while (size * 0.5 < expected) size *= 2;
    this.slots = new Uint32Array(size);
    this.high = new Uint16Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.held;
  }

  /** Bytes its slots take. */
  get bytes(): number {
    return this.slots.byteLength + this.high.byteLength;
  }

  /** Where the lookup of `hash` starts: pass it to nextMatch. */
  start(hash: TextHash): number {
    return hash.first & this.mask;
  }

  /**
   * The slot of the next entry from `at` on whose fingerprint is the text's, or -1 when the probe run
   * ends (an empty slot): `nextMatch(hash, start(hash))`, then `nextMatch(hash, found + 1)`.
   */
  nextMatch(hash: TextHash, at: number): number {
    const { slots, mask } = this;
    const print = fingerprint(hash.second);
    for (at &= mask; ; at = (at + 1) & mask) {
      const slot = slots[at]!;
      if (slot === 0) return -1;
      if (slot >>> 16 === print) return at;
    }
  }

  /** The hint of the entry in slot `at`. */
  hintAt(at: number): number {
    return this.high[at]! * LOW + (this.slots[at]! & 0xffff);
  }

  /**
   * Adds the text hashed, filed under `filed` (a whole number; its low 32 bits kept); false (nothing
   * added) when the table is full, and the caller builds a larger one. The same fingerprint and hint are
   * not added twice.
   */
  add(hash: TextHash, filed: number): boolean {
    if (!Number.isSafeInteger(filed) || filed < 0) throw new RangeError(`hint ${filed} is not a whole number`);
    const { slots, high, mask } = this;
    const hint = filed % HINT_MODULO;
    const entry = fingerprint(hash.second) * LOW + (hint % LOW);
    const upper = Math.floor(hint / LOW);
    let at = hash.first & mask;
    for (; ; at = (at + 1) & mask) {
      const slot = slots[at]!;
      if (slot === entry && high[at] === upper) return true;
      if (slot === 0) break;
    }
    if (this.held + 1 > slots.length * MAX_LOAD) return false;
    slots[at] = entry;
    high[at] = upper;
    this.held++;
    return true;
  }
}

/** Never 0, so a slot holding an entry is never 0 (an empty one). */
function fingerprint(second: number): number {
  return second & 0xffff || 1;
}

/** Below this many texts a FingerprintSet keeps their hashes, so a full table is replaced rather than joined. */
export const FOLD_LIMIT = 2 ** 18;

/** Words per text kept: its two hashes and its hint. */
const KEPT_WIDTH = 3;

/**
 * FingerprintTables that grow: a full table keeps too little of each hash to move its entries into a
 * larger one, so a larger table is added beside it and a lookup asks each (`tables`). Every table asked
 * costs a lookup a cache miss or so: from an empty ledger, 300,000 random ids made nine tables, and two ids
 * a record went in ~15 % slower than through one table. So while it holds fewer than `foldLimit` texts
 * the set also keeps their hashes and hints (12 bytes each, 3 MiB at the default limit) and replaces a
 * full table with one built from them, twice as large; past the limit it lets them go and adds tables.
 */
export class FingerprintSet {
  private current: FingerprintTable[];
  private kept: Uint32Array | null;
  private keptCount = 0;

  /** Room for `expected` texts in one table; `add` with each. */
  constructor(
    expected: number,
    private readonly foldLimit = FOLD_LIMIT,
  ) {
    this.current = [new FingerprintTable(expected)];
    this.kept = expected < foldLimit ? new Uint32Array(KEPT_WIDTH * Math.min(foldLimit, Math.max(MIN_SLOTS, Math.ceil(expected * 1.25)))) : null;
  }

  /** The tables to ask, oldest first. */
  get tables(): readonly FingerprintTable[] {
    return this.current;
  }

  /** Adds the text hashed, filed under `filed` (as FingerprintTable.add). */
  add(hash: TextHash, filed: number): void {
    const tables = this.current;
    const newest = tables[tables.length - 1]!;
    if (this.kept !== null) this.keep(hash, filed);
    if (newest.add(hash, filed)) return;
    if (this.kept !== null) {
      this.current = [this.fold()];
      return;
    }
    // Full, and too many to keep: the next texts go to a table with twice its slots.
    const grown = new FingerprintTable(newest.size);
    grown.add(hash, filed);
    tables.push(grown);
  }

  private keep(hash: TextHash, filed: number): void {
    let kept = this.kept!;
    if (this.keptCount === this.foldLimit) {
      this.kept = null;
      return;
    }
    if ((this.keptCount + 1) * KEPT_WIDTH > kept.length) {
      const grown = new Uint32Array(Math.min(kept.length * 2, this.foldLimit * KEPT_WIDTH));
      grown.set(kept);
      this.kept = kept = grown;
    }
    const at = this.keptCount++ * KEPT_WIDTH;
    kept[at] = hash.first;
    kept[at + 1] = hash.second;
    kept[at + 2] = filed % HINT_MODULO;
  }

  /** One table, twice the room, of every text kept (the one that did not fit included). */
  private fold(): FingerprintTable {
    const kept = this.kept!;
    const table = new FingerprintTable(this.keptCount);
    const hash = new TextHash();
    for (let at = 0; at < this.keptCount * KEPT_WIDTH; at += KEPT_WIDTH) {
      hash.first = kept[at]!;
      hash.second = kept[at + 1]!;
      if (!table.add(hash, kept[at + 2]!)) throw new Error('fingerprint table sized below what it folds');
    }
    return table;
  }
}
