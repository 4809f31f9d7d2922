/**
 * The fused attention as the model's `AttentionImplementation`: forward and backward kernels
 * joined by `tf.customGrad`. Its slow twin is `referenceAttention` (src/model/attention.ts), the
 * test oracle and the path for shapes the kernels do not take.
 */
import * as tf from '@tensorflow/tfjs';
import { referenceAttention, type AttentionImplementation, type AttentionMask } from '../model/attention';
import { flashAttentionBackward } from './flash-attention-backward';
import { flashAttentionForward } from './flash-attention-forward';
import { supportsHeadDim } from './flash-attention-layout';

type SaveFn = tf.GradSaveFunc;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * Why the fused kernels cannot run this call (null: they can). The reference path runs instead,
 * so the model never fails on webgpu for a shape the kernels do not cover.
 */
export function fusedAttentionUnsupported(q: tf.Tensor4D, k: tf.Tensor4D, mask: AttentionMask): string | null {
  const [, , lq, d] = q.shape;
  const lk = k.shape[2];
  if (tf.getBackend() !== 'webgpu') return `backend is ${tf.getBackend()}, not webgpu`;
  if (q.dtype !== 'float32') return `dtype ${q.dtype}`;
  if (!supportsHeadDim(d)) return `head dimension ${d} (the kernels take multiples of 4 up to 64)`;
  if (q.size === 0 || k.size === 0) return 'empty input';
  if (mask.kind === 'causal' && lq > lk) return `causal with Lq ${lq} > Lk ${lk} (rows that see no key)`;
  return null;
}

/** Fused attention with its custom gradient for one mask: q [B,H,Lq,D], k/v [B,H,Lk,D]. */
function fusedAttentionOp(mask: AttentionMask) {
  return tf.customGrad(((q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, save: SaveFn) => {
    const [b, h, lq, d] = q.shape;
    const lk = k.shape[2];
    // [B, H, L, D] -> [B·H, L, D]: free on webgpu (same buffer).
    const q3 = q.reshape([b * h, lq, d]) as tf.Tensor3D;
    const k3 = k.reshape([b * h, lk, d]) as tf.Tensor3D;
    const v3 = v.reshape([b * h, lk, d]) as tf.Tensor3D;
    const [o3, lse] = flashAttentionForward(q3, k3, v3, mask);
    save([q3, k3, v3, o3, lse]);
    return {
      value: o3.reshape([b, h, lq, d]) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [qs, ks, vs, os, lses] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
        const [dq, dk, dv] = flashAttentionBackward(qs, ks, vs, os, dy.reshape([b * h, lq, d]) as tf.Tensor3D, lses, mask);
        return [dq.reshape(q.shape), dk.reshape(k.shape), dv.reshape(v.shape)];
      },
    };
  }) as unknown as CustomGradFn);
}

/** The fused kernels where they apply (webgpu, supported shapes), the reference elsewhere. */
export const fusedAttention: AttentionImplementation = {
  name: 'fused-webgpu',
  attention(q, k, v, mask) {
    if (fusedAttentionUnsupported(q, k, mask) !== null) return referenceAttention.attention(q, k, v, mask);
    return fusedAttentionOp(mask)(q, k, v) as tf.Tensor4D;
  },
};
