/**
 * Model configuration: one plain typed object, serialised into every checkpoint's
 * `__metadata__.config` so a file is self-describing (docs/architecture.md §3, §7), with the sizes
 * derived from it and its checks. The fixed position codes it implies are in positions.ts.
 */

export type SpatialAttentionMode = 'frame' | 'sparse-causal';
export type TemporalAttentionMode = 'full' | 'causal';

export interface ModelConfig {
  /** Config name, e.g. `tiny`, `small`. */
  name: string;
  /** Video shape the model generates: frames × height × width × 3. */
  frames: number;
  height: number;
  width: number;
  /** Square patch side in pixels; tokens per frame = (height/patchSize)·(width/patchSize). */
  patchSize: number;
  /** Transformer width. */
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** MLP hidden = mlpRatio · hiddenSize. */
  mlpRatio: number;
  /** Text encoder (a small CLIP-style transformer over the closed prompt vocabulary). */
  textHiddenSize: number;
  textLayers: number;
  textHeads: number;
  /** Token sequence length, including the leading `<bos>`; shorter prompts are padded with `<pad>`. */
  maxTextLength: number;
  /** Tokenizer vocabulary (special tokens first). Stored with the checkpoint so a file is self-contained. */
  vocab: string[];
  /** Spatial self-attention: within each frame, or sparse-causal (frame i sees frames 0 and i−1; HuViDPO / Tune-A-Video). */
  spatialAttention: SpatialAttentionMode;
  temporalAttention: TemporalAttentionMode;
  /** Width of the sinusoidal timestep features fed to the timestep MLP. */
  timestepFeatures: number;
  /**
   * What the network's output head predicts. `x0`: the clean video, turned into the velocity
   * v = (x_t − x̂0)/max(t, tMin) (JiT, Li & He 2025): a p×p×3 pixel patch has more dimensions
   * (192 for 8×8) than a token (96), so a network that must output the per-pixel noise in
   * ε − x0 cannot, while the clean video is low-dimensional. `velocity`: the head predicts v.
   */
  prediction: 'x0' | 'velocity';
  /**
   * Noise prior across frames (PYoCo's mixed noise, Ge et al. 2023): each frame's ε is
   * √ρ·(one shared draw) + √(1−ρ)·(its own draw), so every frame is still N(0, I) but frames are
   * correlated like the video itself. 0 = independent frames. Training, sampling and the
   * preference losses all draw ε through `videoNoise`, so they agree.
   */
  noiseCorrelation: number;
  /**
   * Time shift s ≥ 1 of the noise schedule (SD3 §5.3.2, Esser et al. 2024): t ↦ s·t/(1 + (s−1)·t)
   * for the sampler's steps and for training times. A p×p×3 patch carries its object well above
   * the noise until t ≈ 0.9, so layout and motion are decided at high t; s > 1 spends steps there.
   */
  timeShift: number;
  /**
   * Token positions. `learned`: learned spatial and frame embeddings only. `sincos+learned`: plus
   * fixed sin-cos codes of the patch's (row, column) and of the frame index, each of RMS ≈ 0.7.
   * At high noise the patch embedding of x_t is mostly noise (RMS ≈ 1.4 per channel in the
   * `learned` small model, against 0.19 for its learned positions), which drowned where and when
   * a token is — and with it the layout and motion that are decided there.
   */
  positionEncoding: 'learned' | 'sincos+learned';
}

/** Smallest t used when turning an x0 prediction into a velocity (bounds the 1/t gain). */
export const PREDICTION_T_MIN = 0.05;

export const SPECIAL_TOKENS = ['<pad>', '<bos>'] as const;
export const PAD_ID = 0;
export const BOS_ID = 1;

export function tokensPerFrame(c: ModelConfig): number {
  return (c.height / c.patchSize) * (c.width / c.patchSize);
}

export function patchDim(c: ModelConfig): number {
  return c.patchSize * c.patchSize * 3;
}

/** Check invariants; throws an Error naming the field and what to do. */
export function validateConfig(c: ModelConfig, source = 'config'): void {
  const fail = (msg: string): never => {
    throw new Error(`${source}: invalid model config — ${msg}`);
  };
  const positiveInts: (keyof ModelConfig)[] = [
    'frames', 'height', 'width', 'patchSize', 'hiddenSize', 'numLayers', 'numHeads', 'mlpRatio',
    'textHiddenSize', 'textLayers', 'textHeads', 'maxTextLength', 'timestepFeatures',
  ];
  for (const key of positiveInts) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (c.height % c.patchSize !== 0 || c.width % c.patchSize !== 0) fail(`height ${c.height} and width ${c.width} must be multiples of patchSize ${c.patchSize}`);
  if (c.hiddenSize % c.numHeads !== 0) fail(`hiddenSize ${c.hiddenSize} must be divisible by numHeads ${c.numHeads}`);
  if (c.textHiddenSize % c.textHeads !== 0) fail(`textHiddenSize ${c.textHiddenSize} must be divisible by textHeads ${c.textHeads}`);
  if (c.timestepFeatures % 2 !== 0) fail(`timestepFeatures ${c.timestepFeatures} must be even`);
  if (c.spatialAttention !== 'frame' && c.spatialAttention !== 'sparse-causal') fail(`spatialAttention must be "frame" or "sparse-causal", got ${JSON.stringify(c.spatialAttention)}`);
  if (c.prediction !== 'x0' && c.prediction !== 'velocity') fail(`prediction must be "x0" or "velocity", got ${JSON.stringify(c.prediction)}`);
  if (typeof c.noiseCorrelation !== 'number' || !(c.noiseCorrelation >= 0 && c.noiseCorrelation < 1)) fail(`noiseCorrelation must be a number in [0, 1), got ${JSON.stringify(c.noiseCorrelation)}`);
  if (typeof c.timeShift !== 'number' || !(c.timeShift >= 1 && Number.isFinite(c.timeShift))) fail(`timeShift must be a number ≥ 1, got ${JSON.stringify(c.timeShift)}`);
  if (c.positionEncoding !== 'learned' && c.positionEncoding !== 'sincos+learned') fail(`positionEncoding must be "learned" or "sincos+learned", got ${JSON.stringify(c.positionEncoding)}`);
  if (c.temporalAttention !== 'full' && c.temporalAttention !== 'causal') fail(`temporalAttention must be "full" or "causal", got ${JSON.stringify(c.temporalAttention)}`);
  if (!Array.isArray(c.vocab) || c.vocab[PAD_ID] !== '<pad>' || c.vocab[BOS_ID] !== '<bos>') fail('vocab must be an array starting with "<pad>", "<bos>"');
}
