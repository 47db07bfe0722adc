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

/** A table fuller than this says it is full: linear probing slows and its false answers grow. */
const MAX_LOAD = 0.75;
const MIN_SLOTS = 1024;

/**
 * An approximate set of texts: 16 bits per slot, in a slot chosen by the first hash with linear probing.
 * "Not held" is always right; "may hold" is wrong for about one text in 10,000 not held (a probe run
 * of a few slots, each matching 1 in 65,535). Nothing is ever removed: a text whose row was deleted
 * only keeps answering "may hold", and the caller checks the rows.
 */
export class FingerprintTable {
  private slots: Uint16Array;
  private mask: number;
  private held = 0;

  /** Room for `expected` texts at half the load it accepts, so a table built from a scan has room to grow. */
  constructor(expected: number) {
    let size = MIN_SLOTS;
    while (size * 0.5 < expected) size *= 2;
    this.slots = new Uint16Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.held;
  }

  /** Bytes its slots take. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  mayHold(hash: TextHash): boolean {
    const { slots, mask } = this;
    const print = fingerprint(hash.second);
    for (let at = hash.first & mask; ; at = (at + 1) & mask) {
      const slot = slots[at]!;
      if (slot === 0) return false;
      if (slot === print) return true;
    }
  }

  /**
   * Adds the text hashed; false (nothing added) when the table is full, and the caller builds a larger
   * one. A text it may already hold is not added again: its lookups stop at the same match.
   */
  add(hash: TextHash): boolean {
    const { slots, mask } = this;
    const print = fingerprint(hash.second);
    let at = hash.first & mask;
    for (; ; at = (at + 1) & mask) {
      const slot = slots[at]!;
      if (slot === print) return true;
      if (slot === 0) break;
    }
    if (this.held + 1 > slots.length * MAX_LOAD) return false;
    slots[at] = print;
    this.held++;
    return true;
  }
}

/** Never 0, which marks an empty slot. */
function fingerprint(second: number): number {
  return second & 0xffff || 1;
}
