/**
 * The policy of a session: the base model plus the LoRA of every completed round, merged into
 * the weights (docs/architecture.md §4: generate → label → train LoRA → merge → next round).
 *
 * Memory: the base weights and, once a round has been merged, the adapted Linear weights of the
 * merged policy (every other tensor is shared). During a round the reference is the merged
 * policy itself with the new LoRA disabled ("previous", the default: no extra copy) or the base
 * weights ("base").
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config';
import type { LinearHooks } from '../model/layers';
import type { Params } from '../model/params';
import { concatenateSnapshots } from '../prefs/lora-data';
import { completedRounds } from '../prefs/rounds';
import type { LoraSnapshot, ReferenceChoice, RoundRecord } from '../prefs/types';
import { mergeSnapshot } from './lora-snapshot';

/** Weights plus optional Linear hooks: what `forward()` needs to run one network. */
export interface ModelView {
  params: Params;
  hooks?: LinearHooks;
}

export class Policy {
  private readonly merged: LoraSnapshot[] = [];
  private current: Params;

  constructor(readonly config: ModelConfig, readonly base: Params) {
    this.current = base;
  }

  /** Number of rounds merged into the policy (0 = base). */
  get round(): number {
    return this.merged.length;
  }

  /** The adapters of the merged rounds, in order. */
  get snapshots(): readonly LoraSnapshot[] {
    return this.merged;
  }

  /** Weights of the current policy (base + every merged round). */
  get params(): Params {
    return this.current;
  }

  /** The reference model of the next round (docs/architecture.md §4): the current policy, or the base. */
  reference(choice: ReferenceChoice): Params {
    return choice === 'base' ? this.base : this.current;
  }

  /** Fold a completed round's adapter into the weights. */
  merge(snapshot: LoraSnapshot): void {
    const next = mergeSnapshot(this.current, snapshot);
    this.disposeOwned(this.current, next);
    this.current = next;
    this.merged.push(snapshot);
  }

  /**
   * Rebuild the policy from a session's round records (after a reload): back to the base, then
   * every completed round merged in order, exactly as when they finished.
   */
  restore(rounds: readonly RoundRecord[]): void {
    this.reset();
    for (const r of completedRounds(rounds)) this.merge(r.lora!);
  }

  /** Back to the base model. */
  reset(): void {
    this.disposeOwned(this.current, this.base);
    this.current = this.base;
    this.merged.length = 0;
  }

  /**
   * The cumulative change of all merged rounds as one exact LoRA of rank Σr (scale 1): what
   * Export LoRA writes.
   */
  cumulativeLora(): ReturnType<typeof concatenateSnapshots> {
    return concatenateSnapshots(this.merged);
  }

  dispose(): void {
    this.reset();
  }

  /** Dispose the tensors of `old` that neither the base nor `keep` uses. */
  private disposeOwned(old: Params, keep: Params): void {
    if (old === this.base) return;
    const kept = new Set<tf.Tensor>([...this.base.values(), ...keep.values()]);
    for (const t of old.values()) if (!kept.has(t)) t.dispose();
  }
}
