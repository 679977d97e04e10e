/**
 * Compact stores for what a run keeps per document when there may be millions of them: no object per entry for
 * the garbage collector to trace, a few bytes each.
 */

const HEX_128 = /^[0-9a-f]{32}/;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * A set of contents, each named by the first 128 bits of its SHA-256 (the same identity job ids use): an
 * open-addressing table of four 32-bit words per key, at most half full, so 32 bytes per content.
 */
export class DigestSet {
  private words = new Uint32Array(4 * 1024);
  private used = new Uint8Array(1024);
  private mask = 1023;
  size = 0;

  /** Adds the content; true when it was not there yet. */
  add(sha256: string): boolean {
    const key = digestWords(sha256);
    let slot = this.find(key);
    if (this.used[slot]) return false;
    if ((this.size + 1) * 2 > this.used.length) {
      this.grow();
      slot = this.find(key);
    }
    this.words.set(key, slot * 4);
    this.used[slot] = 1;
    this.size++;
    return true;
  }

  has(sha256: string): boolean {
    return this.used[this.find(digestWords(sha256))] === 1;
  }

  /** The slot holding the key, or the empty slot where it would go (linear probing; the words are random). */
  private find(key: Uint32Array): number {
    const { words, used, mask } = this;
    for (let slot = key[0] & mask; ; slot = (slot + 1) & mask) {
      if (!used[slot]) return slot;
      const at = slot * 4;
      if (words[at] === key[0] && words[at + 1] === key[1] && words[at + 2] === key[2] && words[at + 3] === key[3]) return slot;
    }
  }

  private grow(): void {
    const { words, used } = this;
    this.used = new Uint8Array(used.length * 2);
    this.words = new Uint32Array(this.used.length * 4);
    this.mask = this.used.length - 1;
    for (let slot = 0; slot < used.length; slot++) {
      if (!used[slot]) continue;
      const key = words.subarray(slot * 4, slot * 4 + 4);
      const to = this.find(key);
      this.words.set(key, to * 4);
      this.used[to] = 1;
    }
  }
}

const scratch = new Uint32Array(4);

function digestWords(sha256: string): Uint32Array {
  if (!HEX_128.test(sha256)) throw new TypeError(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
  for (let i = 0; i < 4; i++) scratch[i] = Number.parseInt(sha256.slice(i * 8, i * 8 + 8), 16);
  return scratch;
}

/**
 * Paths by slot number: each directory kept once, each base name as UTF-8 bytes in one growing buffer. A million
 * paths cost their base names plus 16 bytes each.
 */
export class PathColumn {
  private bytes = Buffer.allocUnsafe(64 * 1024);
  private end = 0;
  private starts = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  /** Directory id + 1; 0 for a slot without a path. */
  private dirOf = new Uint32Array(1024);
  private readonly dirs: string[] = [];
  private readonly dirIds = new Map<string, number>();
  /** Paths with UTF-16 surrogates (which UTF-8 may not carry unchanged), kept as they are. */
  private readonly odd = new Map<number, string>();

  set(slot: number, path: string): void {
    if (slot >= this.dirOf.length) this.growSlots(slot + 1);
    if (SURROGATE.test(path)) {
      this.odd.set(slot, path);
      this.dirOf[slot] = 0;
      return;
    }
    this.odd.delete(slot);
    const cut = path.lastIndexOf('/') + 1;
    const dir = path.slice(0, cut);
    let dirId = this.dirIds.get(dir);
    if (dirId === undefined) {
      dirId = this.dirs.length;
      this.dirs.push(dir);
      this.dirIds.set(dir, dirId);
    }
    const base = path.slice(cut);
    const need = Buffer.byteLength(base);
    if (this.end + need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.end + need));
      this.bytes.copy(grown, 0, 0, this.end);
      this.bytes = grown;
    }
    this.starts[slot] = this.end;
    this.lengths[slot] = this.bytes.write(base, this.end);
    this.end += need;
    this.dirOf[slot] = dirId + 1;
  }

  get(slot: number): string | undefined {
    const dir = slot < this.dirOf.length ? this.dirOf[slot] : 0;
    if (dir === 0) return this.odd.get(slot);
    const start = this.starts[slot];
    return this.dirs[dir - 1] + this.bytes.toString('utf8', start, start + this.lengths[slot]);
  }

  private growSlots(min: number): void {
    let length = this.dirOf.length;
    while (length < min) length *= 2;
    const starts = new Float64Array(length);
    starts.set(this.starts);
    this.starts = starts;
    const lengths = new Uint32Array(length);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const dirOf = new Uint32Array(length);
    dirOf.set(this.dirOf);
    this.dirOf = dirOf;
  }
}
