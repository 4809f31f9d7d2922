import { vocabularyWords } from '../world/prompt';
import { SPECIAL_TOKENS, type ModelConfig, validateConfig } from './config';

/** The tokenizer vocabulary of the current world grammar, special tokens first. */
export function worldVocab(): string[] {
  return [...SPECIAL_TOKENS, ...vocabularyWords()];
}

/**
 * `tiny`: browser tests on SwiftShader (4 frames 16×16, 64 tokens).
 * `small`: the shipped default (8 frames 32×32, 4×4 patches → 64 tokens per frame, 512 tokens,
 * 1.27 M parameters), pretrained on a GPU with the PyTorch twin (gpu/README.md): 9,219 steps of
 * batch 256 in 11.5 min on one H200. On one CPU core a batch-16 step takes ~4 s, so it is not
 * trained here; `small-p8` is.
 * `small-p8`: the same network with 8×8 patches (16 tokens per frame, 128 tokens, 1.29 M
 * parameters), the shipped default until session 8. Sized to pretrain on one CPU core with
 * tfjs-wasm: a batch-16 step takes ~1.05 s with `frame` spatial attention (1.5 s sparse-causal),
 * and a CFG sampling step ~50 ms. After 376 k videos (23,500 steps of 16, 8.5 h) it still drew
 * circles and squares as one rounded blob (shape 60.9 %): a circle and a square differ inside one
 * 8×8 patch (docs/history.md §4, "Where the shape is lost"). With 4×4 patches their corners are separate
 * tokens, and 2.4 M videos on the GPU gave shape 97 %.
 * Schedule and positions (session 2): time shift 3 and fixed sin-cos positions under the learned
 * ones. With learned positions only, 7,200 steps never learned where a prompt's object starts
 * (x̂0 at t = 0.98 was the same for "moves right" and "moves up"); adding the sin-cos codes took the
 * same run from 0 % to 31 % direction accuracy and from 0.12 to 0.57 subject consistency in 1,700 steps.
 */
const SMALL = {
  name: 'small', frames: 8, height: 32, width: 32, patchSize: 4,
  hiddenSize: 96, numLayers: 4, numHeads: 3, mlpRatio: 3,
  textHiddenSize: 64, textLayers: 2, textHeads: 2, maxTextLength: 16,
  spatialAttention: 'frame', temporalAttention: 'full', timestepFeatures: 64, prediction: 'x0', noiseCorrelation: 0, timeShift: 3, positionEncoding: 'sincos+learned',
} as const satisfies Omit<ModelConfig, 'vocab'>;

export const PRESETS = {
  tiny: {
    name: 'tiny', frames: 4, height: 16, width: 16, patchSize: 4,
    hiddenSize: 32, numLayers: 2, numHeads: 2, mlpRatio: 4,
    textHiddenSize: 32, textLayers: 1, textHeads: 2, maxTextLength: 16,
    spatialAttention: 'sparse-causal', temporalAttention: 'full', timestepFeatures: 32, prediction: 'x0', noiseCorrelation: 0, timeShift: 1, positionEncoding: 'learned',
  },
  small: SMALL,
  'small-p8': { ...SMALL, name: 'small-p8', patchSize: 8 },
} as const satisfies Record<string, Omit<ModelConfig, 'vocab'>>;

export type PresetName = keyof typeof PRESETS;

export function presetConfig(name: string): ModelConfig {
  if (!(name in PRESETS)) {
    throw new Error(`Unknown model config "${name}". Known configs: ${Object.keys(PRESETS).join(', ')}.`);
  }
  const config: ModelConfig = { ...PRESETS[name as PresetName], vocab: worldVocab() };
  validateConfig(config, `preset "${name}"`);
  return config;
}
