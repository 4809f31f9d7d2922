import * as tf from '@tensorflow/tfjs';
import type { Params } from './params';

/**
 * Building blocks shared by the text encoder and the DiT. Everything runs on 2-D activations
 * [tokens, features] so that the heavy work is plain 2-D matmuls (the only fast matmul in
 * tfjs-wasm on one core: ~25 GFLOP/s vs ~2 for batched or transposed ones).
 */

/** A low-rank adapter on one Linear: y += scale · (x A) B, with A [in, r] and B [r, out] in memory. */
export interface LoraWeights {
  down: tf.Tensor2D;
  up: tf.Tensor2D;
  scale: number;
  /** Dropout probability on the adapter's input (training only); 0 = none. */
  dropout?: number;
  dropoutSeed?: number;
}

/** Optional hooks a forward pass consults for each Linear (LoRA lives here; docs/architecture.md §3). */
export interface LinearHooks {
  lora?: (module: string) => LoraWeights | undefined;
  /**
   * The Linears' own weights and biases are constants of the differentiation (only an adapter
   * trains): their backward pass computes dx alone, not the x^T·dy and Σdy that nothing reads.
   */
  frozenBase?: boolean;
}

type SaveFn = tf.GradSaveFunc;
// tfjs types customGrad's argument loosely; our ops take fixed tensor arguments.
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * x [N, in] · W [in, out] (+ b), with a custom gradient whose matmuls are all plain 2-D: tfjs's
 * default gradient of matMul uses transposed operands, which are ~10× slower in wasm
 * (measured: a training step went from 17 s to 4.4 s with explicit transposes).
 */
const matmulBiasOp = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: SaveFn) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(dy, tf.transpose(ws)), // [N, out] x [out, in] -> [N, in]
        tf.matMul(tf.transpose(xs), dy), // [in, N] x [N, out] -> [in, out]
        tf.sum(dy, 0), // [out]
      ];
    },
  };
}) as unknown as CustomGradFn);

const matmulOp = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: SaveFn) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as unknown as CustomGradFn);

export function matmulBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return matmulBiasOp(x, w, b) as tf.Tensor2D;
}

/** x·W + b with W and b held constant: the gradient is dy·Wᵀ for x only (a plain 2-D matmul). */
export function matmulBiasFrozen(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad(((xIn: tf.Tensor2D) => ({
    value: tf.add(tf.matMul(xIn, w), b) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D) => tf.matMul(dy, tf.transpose(w)),
  })) as unknown as CustomGradFn);
  return op(x) as tf.Tensor2D;
}

/** Plain 2-D matmul with the same fast gradient, no bias. */
export function matmul2d(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return matmulOp(x, w) as tf.Tensor2D;
}

/** A named Linear module: `${name}.weight` ([in,out] in memory), `${name}.bias`, plus its LoRA if any. */
export function linear(params: Params, name: string, x: tf.Tensor2D, hooks?: LinearHooks): tf.Tensor2D {
  const w = params.get(`${name}.weight`) as tf.Tensor2D | undefined;
  const b = params.get(`${name}.bias`) as tf.Tensor1D | undefined;
  if (!w || !b) throw new Error(`Missing parameters for module "${name}"`);
  let y = hooks?.frozenBase ? matmulBiasFrozen(x, w, b) : matmulBias(x, w, b);
  const lora = hooks?.lora?.(name);
  if (lora) {
    // y += scale · (dropout(x) A) B — both matmuls plain 2-D.
    const xIn = lora.dropout ? tf.dropout(x, lora.dropout, undefined, lora.dropoutSeed) as tf.Tensor2D : x;
    y = tf.add(y, tf.mul(matmul2d(matmul2d(xIn, lora.down), lora.up), lora.scale));
  }
  return y;
}

/**
 * (x − mean) / √(variance + eps) over the last axis, with its gradient written out:
 * dx = r · (dy − mean(dy) − y · mean(dy ⊙ y)), r = 1/√(variance + eps). tfjs's own gradient of the
 * same expression runs ~15 full-size kernels through moments, sub and rsqrt, two of them on
 * `ones` tensors tfjs fills in JavaScript (the gradient of mean); this one runs 6 and saves y and r.
 */
function normalizeOp(eps: number) {
  return tf.customGrad(((x: tf.Tensor2D, save: SaveFn) => {
    const xc = tf.sub(x, tf.mean(x, -1, true));
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
    const y = tf.mul(xc, r) as tf.Tensor2D;
    save([y, r]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [ys, rs] = saved;
        const meanDy = tf.mean(dy, -1, true);
        const meanDyY = tf.mean(tf.mul(dy, ys), -1, true);
        return tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(ys, meanDyY)), rs);
      },
    };
  }) as unknown as CustomGradFn);
}

const normalizers = new Map<number, ReturnType<typeof normalizeOp>>();

/** LayerNorm over the last axis, optionally with affine `${name}.weight/.bias`. eps as PyTorch's default. */
export function layerNorm(x: tf.Tensor2D, params?: Params, name?: string, eps = 1e-5): tf.Tensor2D {
  let normalize = normalizers.get(eps);
  if (!normalize) normalizers.set(eps, (normalize = normalizeOp(eps)));
  let y = normalize(x) as tf.Tensor2D;
  if (params && name) {
    y = tf.add(tf.mul(y, params.get(`${name}.weight`)!), params.get(`${name}.bias`)!) as tf.Tensor2D;
  }
  return y;
}

/**
 * GELU, sigmoid approximation x·σ(1.702x) (CLIP's "quick GELU"): one transcendental per element;
 * the tanh form cost ~18 % of a forward pass in tfjs-wasm (pow + tanh).
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as T;
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}

/** Sinusoidal features of t ∈ [0,1] (scaled by 1000, DiT/diffusers convention): [N] → [N, dim] (cos | sin). */
export function timestepFeatures(t: tf.Tensor1D, dim: number, maxPeriod = 10000): tf.Tensor2D {
  const half = dim / 2;
  const freqs = tf.exp(tf.mul(tf.range(0, half, 1, 'float32'), -Math.log(maxPeriod) / half));
  const args = tf.mul(tf.expandDims(tf.mul(t, 1000), 1), tf.expandDims(freqs, 0)); // [N, half]
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
}
