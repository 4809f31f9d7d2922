import * as tf from '@tensorflow/tfjs';
import { DEFAULT_LORA_TARGETS } from './lora-targets';
import type { ModelConfig } from './config';
import type { LinearHooks, LoraWeights } from './layers';
import { linearModules, parameterSpecs, type Params } from './params';

/**
 * LoRA (Hu et al. 2021) on named Linear modules: y = x·W + b + (α/r)·dropout(x)·A·B, with A
 * [in, r] ("down", Kaiming-uniform as peft does) and B [r, out] ("up", zero, so a fresh adapter
 * leaves the model unchanged). The reference model of DPO is the same network with the adapter
 * disabled — one copy of the base weights (docs/architecture.md §4).
 *
 * File layout (PyTorch / peft): lora_A.weight = Aᵀ [r, in], lora_B.weight = Bᵀ [out, r].
 */

export interface LoraConfig {
  rank: number;
  alpha: number;
  dropout: number;
  /** Module-name suffixes to adapt, e.g. `attn_spatial.to_q`; a module matches if its name ends with one. */
  targetModules: string[];
}

/** Default targets: q, k, v, out of the three attentions (lora-targets.ts, plain data for the page). */
export const DEFAULT_LORA_CONFIG: LoraConfig = { rank: 4, alpha: 4, dropout: 0, targetModules: [...DEFAULT_LORA_TARGETS] };

/**
 * The model's Linear modules matched by the config's target suffixes. Every target must match at
 * least one module: a misspelt one (`ff.fc3`) is an error naming it, not a silently smaller adapter.
 */
export function resolveLoraTargets(config: ModelConfig, targets: string[]): string[] {
  const all = linearModules(config);
  const matches = (m: string, t: string) => m === t || m.endsWith(`.${t}`);
  const unmatched = targets.filter((t) => !all.some((m) => matches(m, t)));
  if (targets.length === 0 || unmatched.length > 0) {
    const which = targets.length === 0 ? 'An empty list of LoRA target modules' : `LoRA target module${unmatched.length > 1 ? 's' : ''} ${unmatched.map((t) => JSON.stringify(t)).join(', ')}`;
    throw new Error(`${which} match${unmatched.length === 1 ? 'es' : ''} no Linear module of model "${config.name}". Valid suffixes include ${DEFAULT_LORA_TARGETS.join(', ')}, ff.fc1, ff.fc2.`);
  }
  return all.filter((m) => targets.some((t) => matches(m, t)));
}

export interface LoraModule {
  down: tf.Variable; // A [in, r]
  up: tf.Variable; // B [r, out]
}

export class LoraAdapter {
  readonly modules = new Map<string, LoraModule>();
  enabled = true;
  /** Dropout is applied only while `training` is set. */
  training = false;
  private dropoutSeed = 0;

  constructor(readonly model: ModelConfig, readonly config: LoraConfig, seed = 0) {
    const shapes = new Map(parameterSpecs(model).filter((s) => s.transposed).map((s) => [s.name.replace(/\.weight$/, ''), s.torchShape]));
    let s = seed >>> 0;
    for (const name of resolveLoraTargets(model, config.targetModules)) {
      const [out, inDim] = shapes.get(name)!;
      // peft's kaiming_uniform_(a=√5) on A is U(−1/√in, 1/√in).
      const bound = 1 / Math.sqrt(inDim);
      // Inside tidy so the initial-value tensors are released (a variable keeps its own reference).
      const [down, up] = tf.tidy(() => [
        tf.variable(tf.randomUniform([inDim, config.rank], -bound, bound, 'float32', (s = (s * 1664525 + 1013904223) >>> 0)), true),
        tf.variable(tf.zeros([config.rank, out]), true),
      ]);
      this.modules.set(name, { down, up });
    }
  }

  get scale(): number {
    return this.config.alpha / this.config.rank;
  }

  /** Trainable variables keyed `<module>.down` / `<module>.up`. */
  variables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, m] of this.modules) {
      out.set(`${name}.down`, m.down);
      out.set(`${name}.up`, m.up);
    }
    return out;
  }

  /**
   * Hooks for `forward()`: the adapter when enabled, nothing when disabled (the reference model).
   * The base weights are frozen (only the adapter trains), so their gradients are never computed.
   */
  hooks(): LinearHooks {
    return {
      frozenBase: true,
      lora: (module: string): LoraWeights | undefined => {
        if (!this.enabled) return undefined;
        const m = this.modules.get(module);
        if (!m) return undefined;
        const dropout = this.training && this.config.dropout > 0 ? this.config.dropout : 0;
        return { down: m.down as tf.Tensor2D, up: m.up as tf.Tensor2D, scale: this.scale, dropout, dropoutSeed: this.dropoutSeed++ };
      },
    };
  }

  dispose(): void {
    for (const m of this.modules.values()) {
      m.down.dispose();
      m.up.dispose();
    }
    this.modules.clear();
  }
}

/** W ← W + (α/r)·A·B for every adapted module (memory layout [in, out]); returns new params. */
export function mergeLora(params: Params, adapter: LoraAdapter): Params {
  const merged: Params = new Map(params);
  for (const [name, m] of adapter.modules) {
    const key = `${name}.weight`;
    merged.set(key, tf.tidy(() => tf.add(params.get(key)!, tf.mul(tf.matMul(m.down, m.up), adapter.scale))));
  }
  return merged;
}

/**
 * The exact LoRA of several merged rounds: Σ_k s_k·A_k·B_k = [s_1·A_1 | … | s_K·A_K]·[B_1; …; B_K],
 * a rank Σr_k adapter with scale 1 (docs/architecture.md §4). Returns per-module concatenated (down, up).
 */
export function concatenateLoras(adapters: LoraAdapter[]): Map<string, { down: tf.Tensor2D; up: tf.Tensor2D }> {
  const names = [...new Set(adapters.flatMap((a) => [...a.modules.keys()]))].sort();
  const out = new Map<string, { down: tf.Tensor2D; up: tf.Tensor2D }>();
  for (const name of names) {
    const parts = adapters.filter((a) => a.modules.has(name));
    out.set(name, tf.tidy(() => ({
      down: tf.concat(parts.map((a) => tf.mul(a.modules.get(name)!.down, a.scale)), 1) as tf.Tensor2D,
      up: tf.concat(parts.map((a) => a.modules.get(name)!.up), 0) as tf.Tensor2D,
    })));
  }
  return out;
}
