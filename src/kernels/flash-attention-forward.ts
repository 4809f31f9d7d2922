/**
 * Fused attention forward on the tfjs WebGPU backend: shaders/flash_attention_forward.wgsl.
 * Registered as the tfjs kernel `VpoFlashAttentionForward` (webgpu only) with two outputs:
 * O [S, Lq, D] and the row log-sum-exp [S, Lq] the backward pass recomputes P from.
 * Inputs q [S, Lq, D], k and v [S, Lk, D] (S = B·H); attrs `mask`, `tokensPerFrame`.
 */
import * as tf from '@tensorflow/tfjs';
import commonSource from '../../shaders/flash_attention_common.wgsl?raw';
import forwardSource from '../../shaders/flash_attention_forward.wgsl?raw';
import querySideSource from '../../shaders/flash_attention_query_side.wgsl?raw';
import type { AttentionMask } from '../model/attention';
import { allocateOutput, getPipeline, requireInputs, type KernelArgs, recordDispatch, uploadInputs, webgpuInternals, workgroupGrid } from './device';
import { MASK_CODE, queryBlocks, tileRows, type AttentionShape } from './flash-attention-layout';
import { withLibraries } from './wgsl';

export const FLASH_ATTENTION_FORWARD = 'VpoFlashAttentionForward';

const source = withLibraries(forwardSource, commonSource, querySideSource);

/** tfjs kernel attrs ⇄ the structural mask. */
export function maskAttrs(mask: AttentionMask): tf.NamedAttrMap {
  return { mask: mask.kind, tokensPerFrame: 'tokensPerFrame' in mask ? mask.tokensPerFrame : 0 };
}

export function maskFromAttrs(attrs: tf.NamedAttrMap | undefined): AttentionMask {
  const kind = attrs?.mask as AttentionMask['kind'];
  if (kind === 'frame' || kind === 'sparse-causal') return { kind, tokensPerFrame: attrs!.tokensPerFrame as number };
  if (kind === 'full' || kind === 'causal') return { kind };
  throw new Error(`fused attention: unknown mask ${String(kind)}`);
}

/** Uniform block shared by the forward and dQ shaders (`Params`, in order). */
export function queryUniforms(shape: AttentionShape, mask: AttentionMask) {
  const layout = queryBlocks(shape, mask);
  return {
    layout,
    uniforms: [
      { type: 'uint32', value: layout.numBlocks },
      { type: 'uint32', value: layout.blocksPerGroup },
      { type: 'uint32', value: layout.groupsPerSeq },
      { type: 'uint32', value: layout.groupRows },
      { type: 'uint32', value: shape.lq },
      { type: 'uint32', value: shape.lk },
      { type: 'uint32', value: 'tokensPerFrame' in mask ? mask.tokensPerFrame : 1 },
      { type: 'int32', value: shape.lk - shape.lq },
      { type: 'float32', value: 1 / Math.sqrt(shape.d) },
    ] as const,
  };
}

/** Keys per K/V tile: both tiles in 16 KiB, no larger than the longest key range. */
export function keyTile(shape: AttentionShape, mask: AttentionMask): number {
  const longestRange = mask.kind === 'frame' || mask.kind === 'sparse-causal' ? mask.tokensPerFrame : shape.lk;
  let tile = 4;
  while (tile < longestRange && tile < tileRows(shape.d, 2, 0)) tile *= 2;
  return tile;
}

function forwardKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { q, k, v } = requireInputs(FLASH_ATTENTION_FORWARD, inputs, ['q', 'k', 'v']);
  const mask = maskFromAttrs(attrs);
  const [seqs, lq, d] = q.shape;
  const shape: AttentionShape = { seqs, lq, lk: k.shape[1], d };
  const b = webgpuInternals(backend);
  const { layout, uniforms } = queryUniforms(shape, mask);
  const pipeline = getPipeline(b.device, 'flash_attention_forward', source, {
    HEAD_DIM: d,
    BLOCK_ROWS: layout.block,
    TILE_KEYS: keyTile(shape, mask),
    MASK: MASK_CODE[mask.kind],
  });
  const out = allocateOutput(b, [seqs, lq, d]);
  const lse = allocateOutput(b, [seqs, lq]);
  uploadInputs(b, [q, k, v]);
  recordDispatch(b, FLASH_ATTENTION_FORWARD, pipeline, [q, k, v, out, lse], [...uniforms], workgroupGrid(layout.numBlocks));
  return [out, lse];
}

if (!tf.getKernel(FLASH_ATTENTION_FORWARD, 'webgpu')) {
  tf.registerKernel({ kernelName: FLASH_ATTENTION_FORWARD, backendName: 'webgpu', kernelFunc: forwardKernel as unknown as tf.KernelFunc });
}

/** O [S, Lq, D] and lse [S, Lq]; the webgpu backend must be active. */
export function flashAttentionForward(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: AttentionMask): [tf.Tensor3D, tf.Tensor2D] {
  return tf.engine().runKernel(FLASH_ATTENTION_FORWARD, { q, k, v }, maskAttrs(mask)) as unknown as [tf.Tensor3D, tf.Tensor2D];
}
