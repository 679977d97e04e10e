/**
 * Compact stores for what a run keeps per document when there may be millions of them: no object per entry for
 * the garbage collector to trace, a few bytes each.
 */

const SURROGATE = /[\ud800-\udfff]/;

/**
 * A set of contents, each named by the first 128 bits of its SHA-256 (the same identity job ids use): kept as
 * content-made ids of a JobIdTable, about 25 bytes per content.
 */
export class DigestSet {
  private readonly ids = new JobIdTable();

  get size(): number {
    return this.ids.size;
  }

  /** Adds the content; true when it was not there yet. */
  add(sha256: string): boolean {
    const before = this.ids.size;
    this.ids.addContent(DIGEST_PREFIX, digestWords(sha256));
    return this.ids.size > before;
  }

  has(sha256: string): boolean {
    return this.ids.getContent(DIGEST_PREFIX, digestWords(sha256)) !== undefined;
  }
}

/** The prefix of a digest's id in a DigestSet's table: `c_` and the first 32 hex digits. */
const DIGEST_PREFIX = 'c';

/** A digest's first 128 bits; throws for what is not a digest, which the table would otherwise keep as another id. */
function digestWords(sha256: string): Uint32Array {
  const words = hexWords(sha256, 0);
  if (!words) throw new TypeError(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
  return words;
}

const scratch = new Uint32Array(4);

/** 32 lowercase hex digits from `at` as four words (shared array), or null when they are not there. */
function hexWords(text: string, at: number): Uint32Array | null {
  if (text.length < at + 32) return null;
  for (let i = 0; i < 4; i++) {
    let word = 0;
    for (let j = at + i * 8; j < at + i * 8 + 8; j++) {
      const c = text.charCodeAt(j);
      // '0'-'9' are 48-57, 'a'-'f' are 97-102.
      const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (digit < 0) return null;
      word = (word << 4) | digit;
    }
    scratch[i] = word >>> 0;
  }
  return scratch;
}

/**
 * Paths by slot number: each directory kept once, each base name as UTF-8 bytes in one growing buffer. A million
 * paths cost their base names plus 16 bytes each.
 */
export class PathColumn {
  private bytes = Buffer.allocUnsafe(64 * 1024);
  private end = 0;
  private starts: Float64Array;
  private lengths: Uint32Array;
  /** Directory id + 1; 0 for a slot without a path. */
  private dirOf: Uint32Array;
  private readonly dirs: string[] = [];
  private readonly dirIds = new Map<string, number>();
  private lastDir: string | undefined;
  private lastDirId = 0;
  /** Paths with UTF-16 surrogates (which UTF-8 may not carry unchanged), kept as they are. */
  private readonly odd = new Map<number, string>();

  constructor(expected = 1024) {
    const slots = powerOfTwoAtLeast(expected);
    this.starts = new Float64Array(slots);
    this.lengths = new Uint32Array(slots);
    this.dirOf = new Uint32Array(slots);
  }

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
    // Paths come folder by folder, so the previous folder is usually the one.
    let dirId = dir === this.lastDir ? this.lastDirId : this.dirIds.get(dir);
    if (dirId === undefined) {
      dirId = this.dirs.length;
      this.dirs.push(dir);
      this.dirIds.set(dir, dirId);
    }
    this.lastDir = dir;
    this.lastDirId = dirId;
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

const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function powerOfTwoAtLeast(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}

/** Longest prefix of a job id made from content (`<prefix>_<32 hex>`, e.g. `local_…`, `skip_…`). */
const MAX_PREFIX = 16;
const UNDERSCORE = 0x5f;

/**
 * Job ids numbered 0, 1, 2… in the order added. Ids made from content are kept as a prefix code and four 32-bit
 * words per id, found through an open-addressing table of slot numbers (about 40 bytes an id); other ids (a
 * provider's) go to a Map.
 */
export class JobIdTable {
  private readonly others = new Map<string, number>();
  private readonly otherIds = new Map<number, string>();
  private readonly prefixes: string[] = [];
  private readonly prefixCodes = new Map<string, number>();
  /** Per slot: prefix code + 1 for an id made from content, 0 for another id. */
  private kinds: Uint8Array;
  private words: Uint32Array;
  /** Slot + 1 for each used table entry, 0 for a free one; kept at most half full. */
  private table: Uint32Array;
  private mask: number;
  /** Ids made from content (the others are counted by their Map). */
  private count = 0;
  private lastPrefix: string | undefined;
  private lastCode = 0;

  /** Room for `expected` ids before growing: typed arrays' untouched pages cost no memory, so a high guess is cheap. */
  constructor(expected = 1024) {
    const slots = powerOfTwoAtLeast(expected);
    this.kinds = new Uint8Array(slots);
    this.words = new Uint32Array(4 * slots);
    this.table = new Uint32Array(2 * slots);
    this.mask = this.table.length - 1;
  }

  get size(): number {
    return this.others.size + this.count;
  }

  get(id: string): number | undefined {
    const parsed = this.parse(id, false);
    if (!parsed) return this.others.get(id);
    const entry = this.table[this.find(parsed.code, parsed.key)];
    return entry === 0 ? undefined : entry - 1;
  }

  /** The id's slot, numbering it when it is new. */
  add(id: string): number {
    const parsed = this.parse(id, true);
    if (!parsed) {
      let slot = this.others.get(id);
      if (slot === undefined) {
        slot = this.newSlot(0);
        this.others.set(id, slot);
        this.otherIds.set(slot, id);
      }
      return slot;
    }
    return this.addParsed(parsed.code, parsed.key);
  }

  /** add() of the content-made id `${prefix}_${words in hex}`, without making the string (a known, valid prefix). */
  addContent(prefix: string, words: Uint32Array): number {
    return this.addParsed(this.prefixCode(prefix, true)!, words);
  }

  /** get() of the content-made id `${prefix}_${words in hex}`, without making the string. */
  getContent(prefix: string, words: Uint32Array): number | undefined {
    const code = this.prefixCode(prefix, false);
    if (code === undefined) return undefined;
    const entry = this.table[this.find(code, words)];
    return entry === 0 ? undefined : entry - 1;
  }

  private addParsed(code: number, key: Uint32Array): number {
    let at = this.find(code, key);
    if (this.table[at] !== 0) return this.table[at] - 1;
    const slot = this.newSlot(code + 1);
    this.words.set(key, slot * 4);
    if ((this.count + 1) * 2 > this.table.length) {
      this.growTable();
      at = this.find(code, key);
    }
    this.table[at] = slot + 1;
    this.count++;
    return slot;
  }

  idOf(slot: number): string {
    const kind = this.kinds[slot];
    if (kind === 0) return this.otherIds.get(slot)!;
    let id = `${this.prefixes[kind - 1]}_`;
    for (let i = slot * 4; i < slot * 4 + 4; i++) {
      const w = this.words[i];
      id += HEX_BYTES[w >>> 24] + HEX_BYTES[(w >>> 16) & 255] + HEX_BYTES[(w >>> 8) & 255] + HEX_BYTES[w & 255];
    }
    return id;
  }

  *ids(): IterableIterator<[string, number]> {
    for (let slot = 0; slot < this.size; slot++) yield [this.idOf(slot), slot];
  }

  /** A job id made from content as its prefix code and digest words; null for any other id. */
  private parse(id: string, adding: boolean): { code: number; key: Uint32Array } | null {
    const cut = id.length - 33;
    if (cut < 1 || cut > MAX_PREFIX || id.charCodeAt(cut) !== UNDERSCORE) return null;
    for (let i = 0; i < cut; i++) {
      const c = id.charCodeAt(i);
      if (c < 97 || c > 122) return null;
    }
    const key = hexWords(id, cut + 1);
    if (!key) return null;
    // Ids of one manifest share a prefix or two: the last one saves a Map lookup and a substring.
    const code = this.lastPrefix !== undefined && id.startsWith(this.lastPrefix) && this.lastPrefix.length === cut ? this.lastCode : this.prefixCode(id.slice(0, cut), adding);
    return code === undefined ? null : { code, key };
  }

  /** The prefix's code, numbering it when adding; undefined past 255 prefixes (not a manifest ocrq wrote: a Map then). */
  private prefixCode(prefix: string, adding: boolean): number | undefined {
    if (prefix === this.lastPrefix) return this.lastCode;
    let code = this.prefixCodes.get(prefix);
    if (code === undefined) {
      if (!adding || this.prefixes.length === 255) return undefined;
      code = this.prefixes.length;
      this.prefixes.push(prefix);
      this.prefixCodes.set(prefix, code);
    }
    this.lastPrefix = prefix;
    this.lastCode = code;
    return code;
  }

  private newSlot(kind: number): number {
    const slot = this.size;
    if (slot === this.kinds.length) {
      const kinds = new Uint8Array(this.kinds.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
      const words = new Uint32Array(this.words.length * 2);
      words.set(this.words);
      this.words = words;
    }
    this.kinds[slot] = kind;
    return slot;
  }

  /** The table entry holding the id, or the free entry where it would go. */
  private find(code: number, key: Uint32Array): number {
    const { table, words, kinds, mask } = this;
    for (let at = (key[0] ^ Math.imul(code + 1, 0x9e3779b1)) & mask; ; at = (at + 1) & mask) {
      const entry = table[at];
      if (entry === 0) return at;
      const slot = entry - 1;
      const w = slot * 4;
      if (kinds[slot] === code + 1 && words[w] === key[0] && words[w + 1] === key[1] && words[w + 2] === key[2] && words[w + 3] === key[3]) return at;
    }
  }

  private growTable(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = this.table.length - 1;
    for (const entry of old) {
      if (entry === 0) continue;
      const slot = entry - 1;
      this.table[this.find(this.kinds[slot] - 1, this.words.subarray(slot * 4, slot * 4 + 4))] = entry;
    }
  }
}
