/**
 * Deterministic randomness for the scenario. Every bucket of generated data (one user's local day,
 * one network's hour, one incident) draws from its own mulberry32 stream seeded by hashing
 * (seed, bucket key), so any slice of time can be regenerated alone and identically. Identifiers that
 * must never collide (audit entry ids, file ids) are not drawn from a stream: they come from a keyed
 * 64-bit bijection of a packed (namespace, a, b, seq) key, so distinct keys always give distinct ids.
 */

const MASK64 = (1n << 64n) - 1n;

/** mulberry32: tiny 32-bit-state PRNG, good enough for synthetic data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts' string forms, then a murmur3 finaliser; stable across runs and platforms. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u001f');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Rng {
  private readonly draw: () => number;

  constructor(seed: number) {
    this.draw = mulberry32(seed);
  }

  /** A stream for a named bucket of a seed. */
  static for(seed: number, ...key: readonly (string | number)[]): Rng {
    return new Rng(hash32(seed, ...key));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.draw();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.draw() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.draw() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick called with an empty list');
    return items[Math.floor(this.draw() * items.length)] as T;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let x = this.draw() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new Error('Rng.weighted called with an empty list');
    return last[0];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.draw() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** Approximately normal (sum of 4 uniforms), mean and standard deviation given. */
  normal(mean: number, sd: number): number {
    const s = this.draw() + this.draw() + this.draw() + this.draw() - 2;
    return mean + s * sd * 1.7320508;
  }

  /** Poisson-distributed count (Knuth), fine for small means. */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.draw();
    while (p > limit) {
      k++;
      p *= this.draw();
    }
    return k;
  }

  hex(len: number): string {
    let s = '';
    while (s.length < len)
      s += Math.floor(this.draw() * 0x10000)
        .toString(16)
        .padStart(4, '0');
    return s.slice(0, len);
  }
}

function splitmix64(x: bigint): bigint {
  // Each step is a bijection on 64-bit integers, so the whole mixer is one too.
  let z = (x + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return (z ^ (z >> 31n)) & MASK64;
}

/** Namespaces for unique identifiers; each gets 6 bits of the packed key. */
export const IdSpace = {
  backgroundUser: 1,
  backgroundAdmin: 2,
  incident: 3,
  liveIncident: 4,
  corpusFile: 5,
  uploadFile: 6,
  incidentFile: 7,
  session: 8,
  merakiAlert: 9,
} as const;

/**
 * A 64-bit value unique for each (space < 64, a < 2^18, b < 2^20, seq < 2^20) under a given seed:
 * the key is packed without overlap and pushed through a keyed bijection.
 */
export function unique64(seed: number, space: number, a: number, b: number, seq: number): bigint {
  if (space < 0 || space >= 64 || a < 0 || a >= 1 << 18 || b < 0 || b >= 1 << 20 || seq < 0 || seq >= 1 << 20) {
    throw new Error(`unique64 key out of range: space=${space} a=${a} b=${b} seq=${seq}`);
  }
  const packed = (BigInt(space) << 58n) | (BigInt(a) << 40n) | (BigInt(b) << 20n) | BigInt(seq);
  const key = splitmix64(BigInt(hash32('unique64', seed)) | (BigInt(hash32('unique64-hi', seed)) << 32n));
  return splitmix64(packed ^ key);
}

/** RFC 4122 version-4-shaped UUID whose first 60 payload bits are the unique 64-bit value's top bits. */
export function uuidFrom(seed: number, space: number, a: number, b: number, seq: number): string {
  const u = unique64(seed, space, a, b, seq);
  const tail = splitmix64(u ^ 0x5bd1e9955bd1e995n);
  const hex = u.toString(16).padStart(16, '0');
  const low4 = Number(u & 0xfn);
  const variant = (0x8 | (Number(tail >> 60n) & 0x3)).toString(16);
  const tailHex = (tail & ((1n << 60n) - 1n)).toString(16).padStart(15, '0');
  // u's 64 bits: 48 in groups 1-2, 12 after the version nibble, the last 4 as the variant group's low nibble.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-${variant}${low4.toString(16)}${tailHex.slice(0, 2)}-${tailHex.slice(2, 14)}`;
}

const SLACK_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const HALF = 1 << 25;

/** Keyed 4-round Feistel permutation of [0, 2^50): a bijection, so distinct inputs stay distinct. */
function permute50(seed: number, n: number): number {
  let l = Math.floor(n / HALF);
  let r = n % HALF;
  for (let round = 0; round < 4; round++) {
    const f = hash32('feistel', seed, round, r) & (HALF - 1);
    const next = (l ^ f) >>> 0;
    l = r;
    r = next;
  }
  return l * HALF + r;
}

/**
 * A Slack-looking id: prefix + 10 characters of uppercase base-34, unique for each
 * (space < 16, a < 4096, b < 16384, seq < 2^20) under a seed (packed into 50 bits, then permuted).
 */
export function slackId(prefix: string, seed: number, space: number, a: number, b: number, seq: number): string {
  if (space < 0 || space >= 16 || a < 0 || a >= 4096 || b < 0 || b >= 16384 || seq < 0 || seq >= 1 << 20) {
    throw new Error(`slackId key out of range: space=${space} a=${a} b=${b} seq=${seq}`);
  }
  let n = permute50(seed, ((space * 4096 + a) * 16384 + b) * 1048576 + seq);
  let body = '';
  for (let i = 0; i < 10; i++) {
    body = SLACK_ALPHABET.charAt(n % 34) + body;
    n = Math.floor(n / 34);
  }
  return prefix + body;
}
