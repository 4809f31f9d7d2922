/**
 * Fused attention backward on the tfjs WebGPU backend, registered as the tfjs kernel
 * `VpoFlashAttentionBackward` (webgpu only) with three outputs dQ, dK, dV. Two dispatches in one
 * kernel, on the backend's device (8 storage buffers each, docs/architecture.md §5; no float atomics, so dQ
 * cannot be accumulated by the key-side workgroups as FlashAttention-2 does on CUDA):
 *  1. shaders/flash_attention_backward_dq.wgsl — query-side blocks: dQ and δ = rowsum(dO ∘ O);
 *  2. shaders/flash_attention_backward_dkdv.wgsl — key-side blocks: dK and dV, reading δ.
 * Inputs q, o, dy [S, Lq, D], k, v [S, Lk, D], lse [S, Lq]; attrs as the forward kernel.
 */
import * as tf from '@tensorflow/tfjs';
import dqShader from '../../shaders/flash_attention_backward_dq.wgsl?raw';
import dkdvShader from '../../shaders/flash_attention_backward_dkdv.wgsl?raw';
import commonSource from '../../shaders/flash_attention_common.wgsl?raw';
import querySideSource from '../../shaders/flash_attention_query_side.wgsl?raw';
import type { AttentionMask } from '../model/attention';
import { allocateOutput, getPipeline, requireInputs, type KernelArgs, recordDispatch, uploadInputs, webgpuInternals, workgroupGrid } from './device';
import { keyTile, maskAttrs, maskFromAttrs, queryUniforms } from './flash-attention-forward';
import { keyBlocks, MASK_CODE, tileRows, type AttentionShape } from './flash-attention-layout';
import { withLibraries } from './wgsl';

export const FLASH_ATTENTION_BACKWARD = 'VpoFlashAttentionBackward';
/** Dispatch-counter names of the two passes. */
export const FLASH_ATTENTION_BACKWARD_DQ = `${FLASH_ATTENTION_BACKWARD}.dQ`;
export const FLASH_ATTENTION_BACKWARD_DKDV = `${FLASH_ATTENTION_BACKWARD}.dKdV`;

const dqSource = withLibraries(dqShader, commonSource, querySideSource);
const dkdvSource = withLibraries(dkdvShader, commonSource);

/** Query rows per tile of the dK/dV pass: q and dO tiles plus lse and δ in 16 KiB. */
function queryTile(shape: AttentionShape, mask: AttentionMask): number {
  const longestRange = mask.kind === 'frame' ? mask.tokensPerFrame : shape.lq;
  let tile = 4;
  while (tile < longestRange && tile < tileRows(shape.d, 2, 2)) tile *= 2;
  return tile;
}

function backwardKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { q, k, v, o, dy, lse } = requireInputs(FLASH_ATTENTION_BACKWARD, inputs, ['q', 'k', 'v', 'o', 'dy', 'lse']);
  const mask = maskFromAttrs(attrs);
  const [seqs, lq, d] = q.shape;
  const shape: AttentionShape = { seqs, lq, lk: k.shape[1], d };
  const b = webgpuInternals(backend);
  const maskCode = MASK_CODE[mask.kind];

  const dq = allocateOutput(b, [seqs, lq, d]);
  const dk = allocateOutput(b, [seqs, shape.lk, d]);
  const dv = allocateOutput(b, [seqs, shape.lk, d]);
  const delta = allocateOutput(b, [seqs, lq]);
  uploadInputs(b, [q, k, v, o, dy, lse]);

  // 1. dQ and δ, query-side blocks as the forward pass.
  const query = queryUniforms(shape, mask);
  const dqPipeline = getPipeline(b.device, 'flash_attention_backward_dq', dqSource, {
    HEAD_DIM: d,
    BLOCK_ROWS: query.layout.block,
    TILE_KEYS: keyTile(shape, mask),
    MASK: maskCode,
  });
  recordDispatch(b, FLASH_ATTENTION_BACKWARD_DQ, dqPipeline, [q, k, v, o, dy, lse, dq, delta], [...query.uniforms], workgroupGrid(query.layout.numBlocks));

  // 2. dK and dV, key-side blocks.
  const keys = keyBlocks(shape, mask);
  const dkdvPipeline = getPipeline(b.device, 'flash_attention_backward_dkdv', dkdvSource, {
    HEAD_DIM: d,
    BLOCK_KEYS: keys.block,
    TILE_ROWS: queryTile(shape, mask),
    MASK: maskCode,
  });
  recordDispatch(
    b,
    FLASH_ATTENTION_BACKWARD_DKDV,
    dkdvPipeline,
    [q, k, v, dy, lse, delta, dk, dv],
    [
      { type: 'uint32', value: keys.numBlocks },
      { type: 'uint32', value: keys.blocksPerGroup },
      { type: 'uint32', value: keys.groupsPerSeq },
      { type: 'uint32', value: keys.groupRows },
      { type: 'uint32', value: lq },
      { type: 'uint32', value: shape.lk },
      { type: 'uint32', value: 'tokensPerFrame' in mask ? mask.tokensPerFrame : 1 },
      { type: 'int32', value: shape.lk - lq },
      { type: 'float32', value: 1 / Math.sqrt(d) },
    ],
    workgroupGrid(keys.numBlocks),
  );
  // δ is scratch: released once the queue that reads it is submitted.
  backend.disposeData(delta.dataId);
  return [dq, dk, dv];
}

if (!tf.getKernel(FLASH_ATTENTION_BACKWARD, 'webgpu')) {
  tf.registerKernel({ kernelName: FLASH_ATTENTION_BACKWARD, backendName: 'webgpu', kernelFunc: backwardKernel as unknown as tf.KernelFunc });
}

/** dQ, dK, dV for upstream gradient dy; the webgpu backend must be active. */
export function flashAttentionBackward(
  q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, o: tf.Tensor3D, dy: tf.Tensor3D, lse: tf.Tensor2D, mask: AttentionMask,
): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  return tf.engine().runKernel(FLASH_ATTENTION_BACKWARD, { q, k, v, o, dy, lse }, maskAttrs(mask)) as unknown as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
}
