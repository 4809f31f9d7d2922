import type { Params } from '../model/params';
import { Policy } from './policy';

/**
 * Weights of the policy after its first k rounds (Compare samples base vs round k with the same
 * seeds): built by merging the same snapshots in the same order as the policy did, so they are
 * bit-identical to what the policy had then. The least recently used round is dropped first.
 */
export class RoundWeights {
  private readonly cache = new Map<number, Policy>();

  constructor(private readonly capacity: number) {}

  params(policy: Policy, round: number): Params {
    let entry = this.cache.get(round);
    if (entry) {
      this.cache.delete(round); // re-insert: most recently used last
    } else {
      entry = new Policy(policy.config, policy.base);
      for (const snapshot of policy.snapshots.slice(0, round)) entry.merge(snapshot);
    }
    this.cache.set(round, entry);
    for (const [k, old] of this.cache) {
      if (this.cache.size <= this.capacity) break;
      old.dispose(); // its merged weights; the base is shared and stays
      this.cache.delete(k);
    }
    return entry.params;
  }

  clear(): void {
    for (const p of this.cache.values()) p.dispose();
    this.cache.clear();
  }
}
