// The parameter inventory of the video DiT as plain data (no tfjs), so the page can check LoRA
// files against a model without loading tfjs: names, PyTorch shapes, which are Linear weights.
import { patchDim, tokensPerFrame, type ModelConfig } from './config';

/**
 * Parameter inventory of the video DiT. Names follow diffusers / CLIP conventions and are the
 * keys of checkpoints and LoRA files (docs/architecture.md §3, §7). Shapes are given in PyTorch layout
 * (Linear weight [out, in]); in memory a Linear weight is held transposed, [in, out], because
 * tfjs-wasm is only fast on plain 2-D matmuls without transposes.
 */
export type Init = 'xavier' | 'zeros' | 'ones' | 'normal02';

export interface ParamSpec {
  name: string;
  /** PyTorch layout. */
  torchShape: number[];
  /** True for Linear weights: stored [in, out] in memory, [out, in] in files. */
  transposed: boolean;
  init: Init;
}

/** Names of the Linear modules (without `.weight`) — candidates for LoRA. */
export function linearModules(config: ModelConfig): string[] {
  return parameterSpecs(config).filter((p) => p.transposed).map((p) => p.name.replace(/\.weight$/, ''));
}

export function parameterSpecs(c: ModelConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const linear = (name: string, inDim: number, outDim: number, init: Init = 'xavier') => {
    specs.push({ name: `${name}.weight`, torchShape: [outDim, inDim], transposed: true, init });
    specs.push({ name: `${name}.bias`, torchShape: [outDim], transposed: false, init: 'zeros' });
  };
  const layerNorm = (name: string, dim: number) => {
    specs.push({ name: `${name}.weight`, torchShape: [dim], transposed: false, init: 'ones' });
    specs.push({ name: `${name}.bias`, torchShape: [dim], transposed: false, init: 'zeros' });
  };
  const tensor = (name: string, shape: number[], init: Init) => specs.push({ name, torchShape: shape, transposed: false, init });
  const w = c.hiddenSize;
  const wt = c.textHiddenSize;

  // Text encoder (CLIP-style names).
  tensor('text_encoder.token_embedding.weight', [c.vocab.length, wt], 'normal02');
  tensor('text_encoder.position_embedding.weight', [c.maxTextLength, wt], 'normal02');
  for (let j = 0; j < c.textLayers; j++) {
    const p = `text_encoder.layers.${j}`;
    layerNorm(`${p}.layer_norm1`, wt);
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) linear(`${p}.self_attn.${proj}`, wt, wt);
    layerNorm(`${p}.layer_norm2`, wt);
    linear(`${p}.mlp.fc1`, wt, c.mlpRatio * wt);
    linear(`${p}.mlp.fc2`, c.mlpRatio * wt, wt);
  }
  layerNorm('text_encoder.final_layer_norm', wt);
  linear('context_proj', wt, w);
  linear('pooled_text_proj', wt, w);

  // Video tokens.
  linear('patch_embed.proj', patchDim(c), w);
  tensor('pos_embed', [tokensPerFrame(c), w], 'normal02');
  tensor('frame_embed', [c.frames, w], 'normal02');
  linear('time_embed.linear_1', c.timestepFeatures, w);
  linear('time_embed.linear_2', w, w);

  for (let i = 0; i < c.numLayers; i++) {
    const p = `transformer_blocks.${i}`;
    // adaLN-zero: shift, scale, gate for each of the 4 sub-layers → 12·w outputs, zero-initialised
    // so every block starts as the identity (DiT, Peebles & Xie 2023).
    linear(`${p}.norm.linear`, w, 12 * w, 'zeros');
    for (const attn of ['attn_spatial', 'attn_temporal', 'attn_cross']) {
      for (const proj of ['to_q', 'to_k', 'to_v', 'to_out']) linear(`${p}.${attn}.${proj}`, w, w);
    }
    linear(`${p}.ff.fc1`, w, c.mlpRatio * w);
    linear(`${p}.ff.fc2`, c.mlpRatio * w, w);
  }
  linear('norm_out.linear', w, 2 * w, 'zeros');
  linear('proj_out', w, patchDim(c), 'zeros');

  return specs;
}

/** In-memory shape: Linear weights transposed to [in, out]. */
export function memoryShape(spec: ParamSpec): number[] {
  return spec.transposed ? [spec.torchShape[1], spec.torchShape[0]] : spec.torchShape;
}

export function countParameters(config: ModelConfig): number {
  return parameterSpecs(config).reduce((n, s) => n + s.torchShape.reduce((a, b) => a * b, 1), 0);
}

/** Every Linear module of the model with its sizes: what a LoRA may adapt (and import checks against). */
export function loraModuleShapes(model: ModelConfig): Map<string, { inFeatures: number; outFeatures: number }> {
  return new Map(parameterSpecs(model).filter((s) => s.transposed).map((s) => [s.name.replace(/\.weight$/, ''), { inFeatures: s.torchShape[1], outFeatures: s.torchShape[0] }]));
}
