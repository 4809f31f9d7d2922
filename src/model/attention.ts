import * as tf from '@tensorflow/tfjs';

/**
 * The one attention function of the model. Every attention call (text encoder, spatial,
 * temporal, cross) goes through `attention()`, so a fused kernel can replace the reference
 * path in a single place (`setAttentionImplementation`, the Kernels issue).
 *
 * Layout: q [B, H, Lq, D], k and v [B, H, Lk, D] → [B, H, Lq, D].
 * Masks are structural, not tensors:
 *  - `full`: every query sees every key (Lq ≠ Lk allowed: cross-attention).
 *  - `causal`: query i sees keys j ≤ i (Lq = Lk).
 *  - `frame`: sequences of F frames × N tokens; a query sees only the keys of its own frame.
 *  - `sparse-causal`: a query of frame i sees the keys of frames 0 and i−1 (frame 0 and 1 see
 *    frame 0 only) — Tune-A-Video / HuViDPO. Gathered as KV ranges, never a mask over all frames.
 */
export type AttentionMask =
  | { kind: 'full' }
  | { kind: 'causal' }
  | { kind: 'frame'; tokensPerFrame: number }
  | { kind: 'sparse-causal'; tokensPerFrame: number };

export interface AttentionImplementation {
  name: string;
  attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: AttentionMask): tf.Tensor4D;
}

/** Softmax attention on rank-3 batches: q [G, Lq, D], k/v [G, Lk, D]. Optional additive bias [Lq, Lk]. */
function softmaxAttention3d(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias?: tf.Tensor2D): tf.Tensor3D {
  const d = q.shape[2];
  // [G, Lq, D] x [G, D, Lk] -> [G, Lq, Lk]
  let scores = tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(d)) as tf.Tensor3D;
  if (bias) scores = tf.add(scores, bias) as tf.Tensor3D;
  const probs = tf.softmax(scores, -1);
  return tf.matMul(probs, v); // [G, Lq, Lk] x [G, Lk, D] -> [G, Lq, D]
}

/** Additive mask [Lq, Lk] of causal attention: −1e9 where key j is after query i (the last Lq of Lk keys). */
export function causalBias(lq: number, lk: number): tf.Tensor2D {
  const data = new Float32Array(lq * lk);
  for (let i = 0; i < lq; i++) for (let j = 0; j < lk; j++) if (j > i + (lk - lq)) data[i * lk + j] = -1e9;
  return tf.tensor2d(data, [lq, lk]);
}

/** Keys of frames 0 and i−1 for every frame i: [G, F, N, D] -> [G, F, 2N, D]. */
export function gatherSparseCausalKV(x: tf.Tensor4D): tf.Tensor4D {
  const [g, f, n, d] = x.shape;
  const first = tf.tile(tf.slice(x, [0, 0, 0, 0], [g, 1, n, d]), [1, f, 1, 1]); // frame 0 for every i
  const previous = f > 1 ? tf.concat([tf.slice(x, [0, 0, 0, 0], [g, 1, n, d]), tf.slice(x, [0, 0, 0, 0], [g, f - 1, n, d])], 1) : first;
  return tf.concat([first, previous], 2) as tf.Tensor4D;
}

/** Plain-tfjs attention: the test oracle and the path for non-WebGPU backends. */
export const referenceAttention: AttentionImplementation = {
  name: 'reference',
  attention(q, k, v, mask) {
    return tf.tidy(() => {
      const [b, h, lq, d] = q.shape;
      const lk = k.shape[2];
      switch (mask.kind) {
        case 'full':
        case 'causal': {
          const bias = mask.kind === 'causal' ? causalBias(lq, lk) : undefined;
          const out = softmaxAttention3d(q.reshape([b * h, lq, d]), k.reshape([b * h, lk, d]), v.reshape([b * h, lk, d]), bias);
          return out.reshape([b, h, lq, d]) as tf.Tensor4D;
        }
        case 'frame': {
          const n = mask.tokensPerFrame;
          const f = lq / n;
          // [B, H, F·N, D] -> [B·H·F, N, D]: frames become independent batch entries.
          const out = softmaxAttention3d(q.reshape([b * h * f, n, d]), k.reshape([b * h * f, n, d]), v.reshape([b * h * f, n, d]));
          return out.reshape([b, h, lq, d]) as tf.Tensor4D;
        }
        case 'sparse-causal': {
          const n = mask.tokensPerFrame;
          const f = lq / n;
          const kk = gatherSparseCausalKV(k.reshape([b * h, f, n, d]));
          const vv = gatherSparseCausalKV(v.reshape([b * h, f, n, d]));
          const out = softmaxAttention3d(q.reshape([b * h * f, n, d]), kk.reshape([b * h * f, 2 * n, d]), vv.reshape([b * h * f, 2 * n, d]));
          return out.reshape([b, h, lq, d]) as tf.Tensor4D;
        }
      }
    });
  },
};

let active: AttentionImplementation = referenceAttention;

/** Choose the attention implementation (reference or a fused kernel). Returns the previous one. */
export function setAttentionImplementation(impl: AttentionImplementation): AttentionImplementation {
  const previous = active;
  active = impl;
  return previous;
}

export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: AttentionMask): tf.Tensor4D {
  const [b, h, lq, d] = q.shape;
  if (k.shape[0] !== b || k.shape[1] !== h || k.shape[3] !== d || v.shape.join() !== k.shape.join()) {
    throw new Error(`attention: shape mismatch q ${q.shape} k ${k.shape} v ${v.shape}`);
  }
  if ((mask.kind === 'frame' || mask.kind === 'sparse-causal') && (lq !== k.shape[2] || lq % mask.tokensPerFrame !== 0)) {
    throw new Error(`attention: ${mask.kind} needs Lq = Lk = frames·${mask.tokensPerFrame}, got Lq ${lq}, Lk ${k.shape[2]}`);
  }
  return active.attention(q, k, v, mask);
}
