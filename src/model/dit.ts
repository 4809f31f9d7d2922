import * as tf from '@tensorflow/tfjs';
import { attention, type AttentionMask } from './attention';
import { PAD_ID, PREDICTION_T_MIN, tokensPerFrame, type ModelConfig } from './config';
import { fixedPositionCodes } from './positions';
import { gelu, layerNorm, linear, silu, timestepFeatures, type LinearHooks } from './layers';
import type { Params } from './params';

/**
 * Video diffusion transformer (pixel space, rectified flow, velocity prediction). docs/architecture.md §3.
 * Top-down: heads helpers, text encoder, the block's sub-layers, the block, the model.
 *
 * Token layout throughout: T = B·F·N rows of width w, row-major over (batch, frame, token).
 */

export interface ForwardOptions {
  hooks?: LinearHooks;
  /** Override the config's spatial attention mode (tests; HuViDPO's sparse-causal at inference). */
  spatialAttention?: ModelConfig['spatialAttention'];
}

// ---------------------------------------------------------------- heads

/** [rows = B·L, H·D] -> [B, H, L, D] */
function splitHeads(x: tf.Tensor2D, b: number, l: number, heads: number): tf.Tensor4D {
  const d = x.shape[1] / heads;
  return tf.transpose(x.reshape([b, l, heads, d]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** [B, H, L, D] -> [B·L, H·D] */
function mergeHeads(x: tf.Tensor4D): tf.Tensor2D {
  const [b, h, l, d] = x.shape;
  return tf.transpose(x, [0, 2, 1, 3]).reshape([b * l, h * d]);
}

// ---------------------------------------------------------------- text encoder

export interface TextEncoding {
  /** [B·Lt, w] context for cross-attention (after `context_proj`). */
  context: tf.Tensor2D;
  /** [B, w] pooled text for adaLN conditioning (after `pooled_text_proj`). */
  pooled: tf.Tensor2D;
}

/** CLIP-style pre-LN transformer over word ids [B, Lt]; pooled = mean over non-pad tokens. */
export function encodeText(params: Params, config: ModelConfig, ids: tf.Tensor2D, hooks?: LinearHooks): TextEncoding {
  const [b, lt] = ids.shape;
  const wt = config.textHiddenSize;
  // Embedding as one-hot matmul: tfjs-wasm has no gradient for gather. [B·Lt, V] x [V, wt]
  const oneHot = tf.oneHot(ids.reshape([b * lt]) as tf.Tensor1D, config.vocab.length).toFloat() as tf.Tensor2D;
  const tokens = tf.matMul(oneHot, params.get('text_encoder.token_embedding.weight') as tf.Tensor2D);
  let h = tf.add(tokens.reshape([b, lt, wt]), params.get('text_encoder.position_embedding.weight')!).reshape([b * lt, wt]) as tf.Tensor2D;
  for (let j = 0; j < config.textLayers; j++) {
    const p = `text_encoder.layers.${j}`;
    const x = layerNorm(h, params, `${p}.layer_norm1`);
    const q = splitHeads(linear(params, `${p}.self_attn.q_proj`, x, hooks), b, lt, config.textHeads);
    const k = splitHeads(linear(params, `${p}.self_attn.k_proj`, x, hooks), b, lt, config.textHeads);
    const v = splitHeads(linear(params, `${p}.self_attn.v_proj`, x, hooks), b, lt, config.textHeads);
    h = tf.add(h, linear(params, `${p}.self_attn.out_proj`, mergeHeads(attention(q, k, v, { kind: 'full' })), hooks)) as tf.Tensor2D;
    const y = layerNorm(h, params, `${p}.layer_norm2`);
    h = tf.add(h, mlp(params, `${p}.mlp`, y, hooks)) as tf.Tensor2D;
  }
  h = layerNorm(h, params, 'text_encoder.final_layer_norm');
  // Masked mean over real tokens (<bos> included, so the empty prompt pools to its <bos>).
  // The mask comes from the one-hot rows, not from notEqual(): on tfjs-webgpu 4.22 a bool→float
  // cast followed by a reduction compiles an invalid transpose shader (found by the page test).
  const mask = tf.sub(1, tf.slice(oneHot, [0, PAD_ID], [b * lt, 1])).reshape([b, lt, 1]);
  const pooledRaw = tf.div(tf.sum(tf.mul(h.reshape([b, lt, wt]), mask), 1), tf.sum(mask, 1)) as tf.Tensor2D;
  return {
    context: linear(params, 'context_proj', h, hooks),
    pooled: linear(params, 'pooled_text_proj', pooledRaw, hooks),
  };
}

// ---------------------------------------------------------------- patches

/** [B, F, H, W, 3] -> [B·F·N, p·p·3], patch vector ordered (py, px, channel). */
export function patchify(x: tf.Tensor5D, p: number): tf.Tensor2D {
  const [b, f, hgt, wid, c] = x.shape;
  const hp = hgt / p, wp = wid / p;
  return tf.transpose(x.reshape([b * f * hp, p, wp, p * c]), [0, 2, 1, 3]).reshape([b * f * hp * wp, p * p * c]);
}

/** Inverse of `patchify`. */
export function unpatchify(tokens: tf.Tensor2D, shape: [number, number, number, number, number], p: number): tf.Tensor5D {
  const [b, f, hgt, wid, c] = shape;
  const hp = hgt / p, wp = wid / p;
  return tf.transpose(tokens.reshape([b * f * hp, wp, p, p * c]), [0, 2, 1, 3]).reshape(shape);
}

// ---------------------------------------------------------------- block

interface Dims { b: number; f: number; n: number; heads: number; w: number }

/** Self-attention over the video tokens, spatial (per frame or sparse-causal) or temporal. */
function spatialAttention(params: Params, name: string, x: tf.Tensor2D, d: Dims, mode: ModelConfig['spatialAttention'], hooks?: LinearHooks): tf.Tensor2D {
  const { b, f, n, heads, w } = d;
  const hd = w / heads;
  // [T, w] -> [B, F, N, H, D] -> [B, H, F, N, D] -> [B, H, F·N, D]
  const toHeads = (t: tf.Tensor2D) => tf.transpose(t.reshape([b, f, n, heads, hd]), [0, 3, 1, 2, 4]).reshape([b, heads, f * n, hd]) as tf.Tensor4D;
  const q = toHeads(linear(params, `${name}.to_q`, x, hooks));
  const k = toHeads(linear(params, `${name}.to_k`, x, hooks));
  const v = toHeads(linear(params, `${name}.to_v`, x, hooks));
  const mask: AttentionMask = { kind: mode, tokensPerFrame: n };
  const o = attention(q, k, v, mask); // [B, H, F·N, D]
  // [B, H, F, N, D] -> [B, F, N, H, D] -> [T, w]
  const merged = tf.transpose(o.reshape([b, heads, f, n, hd]), [0, 2, 3, 1, 4]).reshape([b * f * n, w]) as tf.Tensor2D;
  return linear(params, `${name}.to_out`, merged, hooks);
}

function temporalAttention(params: Params, name: string, x: tf.Tensor2D, d: Dims, mode: ModelConfig['temporalAttention'], hooks?: LinearHooks): tf.Tensor2D {
  const { b, f, n, heads, w } = d;
  const hd = w / heads;
  // [T, w] -> [B, F, N, H, D] -> [B, N, H, F, D] -> [B·N, H, F, D]: each spatial position is a sequence over frames.
  const toHeads = (t: tf.Tensor2D) => tf.transpose(t.reshape([b, f, n, heads, hd]), [0, 2, 3, 1, 4]).reshape([b * n, heads, f, hd]) as tf.Tensor4D;
  const q = toHeads(linear(params, `${name}.to_q`, x, hooks));
  const k = toHeads(linear(params, `${name}.to_k`, x, hooks));
  const v = toHeads(linear(params, `${name}.to_v`, x, hooks));
  const o = attention(q, k, v, { kind: mode === 'causal' ? 'causal' : 'full' });
  // [B, N, H, F, D] -> [B, F, N, H, D] -> [T, w]
  const merged = tf.transpose(o.reshape([b, n, heads, f, hd]), [0, 3, 1, 2, 4]).reshape([b * f * n, w]) as tf.Tensor2D;
  return linear(params, `${name}.to_out`, merged, hooks);
}

function crossAttention(params: Params, name: string, x: tf.Tensor2D, context: tf.Tensor2D, d: Dims, textLength: number, hooks?: LinearHooks): tf.Tensor2D {
  const { b, f, n, heads } = d;
  const q = splitHeads(linear(params, `${name}.to_q`, x, hooks), b, f * n, heads); // [B, H, F·N, D]
  const k = splitHeads(linear(params, `${name}.to_k`, context, hooks), b, textLength, heads); // [B, H, Lt, D]
  const v = splitHeads(linear(params, `${name}.to_v`, context, hooks), b, textLength, heads);
  return linear(params, `${name}.to_out`, mergeHeads(attention(q, k, v, { kind: 'full' })), hooks);
}

/** x·(1 + scale) + shift with per-frame modulation: x [B·F·N, w], shift/scale [B·F, 1, w]. */
function modulate(x: tf.Tensor2D, shift: tf.Tensor, scale: tf.Tensor, d: Dims): tf.Tensor2D {
  const x3 = x.reshape([d.b * d.f, d.n, d.w]);
  return tf.add(tf.mul(x3, tf.add(scale, 1)), shift).reshape([d.b * d.f * d.n, d.w]) as tf.Tensor2D;
}

/** h + gate · y with per-frame gate [B·F, 1, w]. */
function gatedResidual(h: tf.Tensor2D, y: tf.Tensor2D, gate: tf.Tensor, d: Dims): tf.Tensor2D {
  return tf.add(h, tf.mul(y.reshape([d.b * d.f, d.n, d.w]), gate).reshape([d.b * d.f * d.n, d.w])) as tf.Tensor2D;
}

/**
 * An adaLN-zero block: each sub-layer k is x ↦ h + gate_k · fn_k(LN(h)·(1 + scale_k) + shift_k), the
 * (shift, scale, gate) triples from one Linear of `cond` (silu(timestep + pooled text) per frame).
 */
function adaLNBlock(params: Params, name: string, h: tf.Tensor2D, cond: tf.Tensor2D, d: Dims, sublayers: ((x: tf.Tensor2D) => tf.Tensor2D)[], hooks?: LinearHooks): tf.Tensor2D {
  const k = sublayers.length;
  // [B·F, 3k·w] -> 3k × [B·F, 1, w]
  const mods = tf.split(linear(params, `${name}.norm.linear`, cond, hooks).reshape([d.b * d.f, 3 * k, d.w]), 3 * k, 1);
  sublayers.forEach((fn, i) => {
    const y = fn(modulate(layerNorm(h), mods[3 * i], mods[3 * i + 1], d));
    h = gatedResidual(h, y, mods[3 * i + 2], d);
  });
  return h;
}

/** fc2(gelu(fc1(x))). */
function mlp(params: Params, name: string, x: tf.Tensor2D, hooks?: LinearHooks): tf.Tensor2D {
  return linear(params, `${name}.fc2`, gelu(linear(params, `${name}.fc1`, x, hooks)), hooks);
}

/** The final adaLN (shift, scale from `cond`) and the projection to pixels. */
function outputLayer(params: Params, h: tf.Tensor2D, cond: tf.Tensor2D, d: Dims, hooks?: LinearHooks): tf.Tensor2D {
  const [shift, scale] = tf.split(linear(params, 'norm_out.linear', cond, hooks).reshape([d.b * d.f, 2, d.w]), 2, 1);
  return linear(params, 'proj_out', modulate(layerNorm(h), shift, scale, d), hooks);
}

/** A trunk block: spatial self-attention, temporal self-attention, cross-attention to text, MLP. */
function block(params: Params, config: ModelConfig, i: number, h: tf.Tensor2D, cond: tf.Tensor2D, context: tf.Tensor2D, d: Dims, opts: ForwardOptions): tf.Tensor2D {
  const p = `transformer_blocks.${i}`;
  const hooks = opts.hooks;
  return adaLNBlock(params, p, h, cond, d, [
    (x) => spatialAttention(params, `${p}.attn_spatial`, x, d, opts.spatialAttention ?? config.spatialAttention, hooks),
    (x) => temporalAttention(params, `${p}.attn_temporal`, x, d, config.temporalAttention, hooks),
    (x) => crossAttention(params, `${p}.attn_cross`, x, context, d, config.maxTextLength, hooks),
    (x) => mlp(params, `${p}.ff`, x, hooks),
  ], hooks);
}

// ---------------------------------------------------------------- model

/**
 * Predict the rectified-flow velocity v = ε − x0 (from an x0 or a velocity head, see
 * `ModelConfig.prediction`).
 * @param x      noisy video [B, F, H, W, 3]
 * @param t      per-frame time [B, F] in [0, 1] (frame 0 gets t = 0 in first-frame mode)
 * @param ids    token ids [B, Lt] (int32)
 * @returns      velocity [B, F, H, W, 3]
 */
export function forward(params: Params, config: ModelConfig, x: tf.Tensor5D, t: tf.Tensor2D, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor5D {
  const [b, f, hgt, wid, c] = x.shape;
  if (f !== config.frames || hgt !== config.height || wid !== config.width || c !== 3) {
    throw new Error(`forward: video shape [${x.shape}] does not match model "${config.name}" [B, ${config.frames}, ${config.height}, ${config.width}, 3]`);
  }
  const n = tokensPerFrame(config);
  const w = config.hiddenSize;
  const d: Dims = { b, f, n, heads: config.numHeads, w };
  const hooks = opts.hooks;

  // 1. Text: context tokens for cross-attention and a pooled vector for adaLN.
  const text = encodeText(params, config, ids, hooks);

  // 2. Conditioning per frame: silu(MLP(sin-cos(t)) + pooled text).  [B·F, w]
  const tEmb = linear(params, 'time_embed.linear_2', silu(linear(params, 'time_embed.linear_1', timestepFeatures(t.reshape([b * f]) as tf.Tensor1D, config.timestepFeatures), hooks)), hooks);
  const pooledPerFrame = tf.tile(text.pooled.reshape([b, 1, w]), [1, f, 1]).reshape([b * f, w]);
  const cond = silu(tf.add(tEmb, pooledPerFrame) as tf.Tensor2D);

  // 3. Patches -> tokens, plus learned spatial and frame positions.  [B·F·N, w]
  let h = linear(params, 'patch_embed.proj', patchify(x, config.patchSize), hooks);
  let spatialPos = params.get('pos_embed')!;
  let framePos = params.get('frame_embed')!;
  if (config.positionEncoding === 'sincos+learned') {
    const fixed = fixedPositionCodes(config);
    spatialPos = tf.add(spatialPos, tf.tensor2d(fixed.spatial, [n, w]));
    framePos = tf.add(framePos, tf.tensor2d(fixed.frames, [f, w]));
  }
  h = tf.add(h.reshape([b, f, n, w]), spatialPos.reshape([1, 1, n, w]));
  h = tf.add(h, framePos.reshape([1, f, 1, w])).reshape([b * f * n, w]) as tf.Tensor2D;

  // 4. Blocks.
  for (let i = 0; i < config.numLayers; i++) h = block(params, config, i, h, cond, text.context, d, opts);

  // 5. Final adaLN (shift, scale) and projection back to pixels.
  const out = outputLayer(params, h, cond, d, hooks);
  const head = unpatchify(out, [b, f, hgt, wid, c], config.patchSize);
  if (config.prediction === 'velocity') return head;
  // 6. x0 head → velocity: v = (x_t − x̂0) / max(t, tMin).
  const tClamped = tf.maximum(t, PREDICTION_T_MIN).reshape([b, f, 1, 1, 1]);
  return tf.div(tf.sub(x, head), tClamped) as tf.Tensor5D;
}
