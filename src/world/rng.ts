// Deterministic randomness for the world: every video, split and simulated judgment is a pure
// function of a seed, so the same seed renders the same bytes in Node and in the browser.

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: 32-bit state, passes the usual small-crush style checks, and is a handful of
 * integer ops per draw — plenty for sampling scene parameters. The seed is first scrambled with
 * a splitmix-style finaliser so that neighbouring seeds (0, 1, 2, …) start far apart.
 */
export function makeRng(seed: number): Rng {
  // Seeds may exceed 2^32 (eval seeds start at 1e9 and grow): fold the high part in.
  let state = mix32((Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32));
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [min, maxExclusive). */
export function randInt(rng: Rng, min: number, maxExclusive: number): number {
  return min + Math.floor(rng() * (maxExclusive - min));
}

/** Real number in [min, max). */
export function randUniform(rng: Rng, min: number, max: number): number {
  return min + rng() * (max - min);
}

/** A uniformly chosen element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: cannot choose from an empty list');
  return items[randInt(rng, 0, items.length)];
}

/** Fisher–Yates shuffle in place (returns `items`): a seeded permutation. */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Gaussian sample (Box–Muller; one of the pair is discarded to keep draws-per-call fixed). */
export function randNormal(rng: Rng, mean = 0, std = 1): number {
  const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
  const v = rng();
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** FNV-1a 32-bit hash of a string, finalised so that low bits are well mixed (used for splits). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3 fmix32: avalanches every input bit into every output bit. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
