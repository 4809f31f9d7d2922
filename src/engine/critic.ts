/**
 * The critic: a small text-conditioned video reward model r(video, prompt) trained with a
 * Bradley–Terry loss on the collected judgments (IPO's critic, OnlineVPO's video reward model).
 * P(a ≻ b) = σ(r(a) − r(b)); a tie is half a win each way. It labels new on-policy pairs with a
 * confidence, and pairs it is unsure about go to people first (src/prefs/online.ts). Its examples
 * and verdicts are plain data (src/prefs/critic-examples.ts); the network here is tfjs.
 *
 * Architecture, top-down, all 2-D matmuls (fast on tfjs-wasm):
 *   patches of each frame and of its difference to the previous frame (motion, flicker)
 *     → Linear + GELU per token → mean- and max-pool over tokens and frames   = video features v
 *   the video's descriptor (src/world/descriptors.ts), standardised             = d
 *   bag of prompt words → Linear + GELU                                        = text features t
 *   [v, t, [v, d] ⊙ P·t, d] → Linear + GELU → Linear, + a linear read of d     = reward r
 * The product term [v, d] ⊙ P·t lets a prompt word select video features (is the object the colour
 * the prompt asked for?) without the MLP having to discover multiplication. The descriptor is the
 * critic's pretrained front end: from 128 labelled pairs the pixel network alone agreed with a
 * taste no better than a coin on new pairs (lively: 47 %, 100 % on its training pairs; see
 * docs/tastes.md), while a linear read of what a detector sees generalises.
 */
import * as tf from '@tensorflow/tfjs';
import { applyAdam, createAdamState, squaredGlobalNorm } from '../diffusion/optim';
import { gelu, matmul2d, matmulBias } from '../model/layers';
import { formatPrompt, parsePrompt } from '../world/prompt';
import { makeRng, randNormal } from '../world/rng';
import { detectObject } from '../world/detect';
import { DESCRIPTOR_SIZE, videoDescriptor } from '../world/descriptors';
import type { VideoShape } from '../world/video';
import type { CriticExample, CriticJudgment } from '../prefs/critic-examples';
import { base64ToFloat32, float32ToBase64 } from '../prefs/lora-data';

export interface CriticConfig extends VideoShape {
  /** Square patch side in pixels (must divide height and width). */
  patchSize: number;
  /** Width of the per-token video features. */
  hidden: number;
  textHidden: number;
  /** Width of the joint MLP. */
  jointHidden: number;
  /** Prompt words the critic knows (the world vocabulary). */
  vocab: string[];
  /** Width of the video descriptor it reads (0: pixels only, as critics before descriptors). */
  descriptors: number;
}

/**
 * Small on purpose: it learns from a few hundred noisy judgments. On 128 simulated judgments per
 * taste (lively, big, centred, smooth), with the descriptor, hidden 32 / joint 32 / decay 1e-4
 * memorised them (100 % on its training pairs) and agreed with the taste on new pairs 53–71 %;
 * hidden 4 / joint 8 / decay 1e-2 agreed 66–84 %, 69–89 % on the pairs it was ≥ 0.75 sure of
 * (scripts/diagnostics/critic-fit.ts, docs/tastes.md).
 */
export const DEFAULT_CRITIC_SIZES = { patchSize: 4, hidden: 4, textHidden: 16, jointHidden: 8 } as const;
/** L2 penalty on the critic's weights (see DEFAULT_CRITIC_SIZES). */
export const DEFAULT_CRITIC_WEIGHT_DECAY = 1e-2;

/** `descriptors: false` gives a pixels-only critic (the comparison docs/tastes.md reports). */
export function criticConfig(shape: VideoShape, vocab: string[], sizes: Partial<Record<keyof typeof DEFAULT_CRITIC_SIZES, number>> = {}, descriptors = true): CriticConfig {
  const c = { frames: shape.frames, height: shape.height, width: shape.width, ...DEFAULT_CRITIC_SIZES, ...sizes, vocab: [...vocab], descriptors: descriptors ? DESCRIPTOR_SIZE : 0 };
  if (c.height % c.patchSize || c.width % c.patchSize) throw new Error(`Critic: patch size ${c.patchSize} must divide the video size ${c.height}×${c.width}.`);
  return c;
}

export interface CriticTrainOptions {
  steps: number;
  batchSize?: number;
  lr?: number;
  /** L2 penalty on the weights (keeps confidences honest on small data). */
  weightDecay?: number;
  seed?: number;
  onStep?: (step: number, loss: number) => void;
}

/**
 * Bradley–Terry negative log-likelihood with soft labels: y·softplus(−Δ) + (1 − y)·softplus(Δ),
 * Δ = r(a) − r(b). y = ½ (a tie) is minimised at Δ = 0.
 */
export function bradleyTerryLoss(delta: tf.Tensor1D, label: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.add(tf.mul(label, tf.softplus(tf.neg(delta))), tf.mul(tf.sub(1, label), tf.softplus(delta)))) as tf.Scalar;
}

type Weights = Map<string, tf.Variable>;

/** Descriptors by video array: training draws the same videos again and again (detection is ~2 ms a video). */
const descriptorCache = new WeakMap<Float32Array, Float32Array>();

/**
 * Mean and scale of each descriptor entry over the videos the critic first trained on: the
 * network reads standardised descriptors, so one weight decay fits entries of any unit.
 */
export interface DescriptorStats {
  mean: Float32Array;
  scale: Float32Array;
}

export class Critic {
  readonly weights: Weights = new Map();
  /** Completed training steps (for the record). */
  steps = 0;
  /** Set by the first training (null until then, and for a pixels-only critic). */
  descriptorStats: DescriptorStats | null = null;
  private readonly wordIndex: Map<string, number>;

  constructor(readonly config: CriticConfig, seed = 0) {
    this.wordIndex = new Map(config.vocab.map((w, i) => [w, i]));
    const rng = makeRng(seed);
    const p = config.patchSize;
    const patchDim = 2 * p * p * 3; // frame + frame difference
    const add = (name: string, shape: [number, number] | [number], init: 'xavier' | 'zeros') => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      if (init === 'xavier') {
        const std = Math.sqrt(2 / (shape[0] + (shape[1] ?? 1)));
        for (let i = 0; i < n; i++) data[i] = randNormal(rng) * std;
      }
      this.weights.set(name, tf.tidy(() => tf.variable(tf.tensor(data, shape), true)));
    };
    const { hidden: h, textHidden: th, jointHidden: j, descriptors: d = 0 } = config;
    add('patch.weight', [patchDim, h], 'xavier');
    add('patch.bias', [h], 'zeros');
    add('text.weight', [config.vocab.length, th], 'xavier');
    add('text.bias', [th], 'zeros');
    add('gate.weight', [th, 2 * h + d], 'xavier');
    if (d > 0) add('descriptor.weight', [d, 1], 'zeros');
    add('joint.weight', [2 * h + th + 2 * h + 2 * d, j], 'xavier');
    add('joint.bias', [j], 'zeros');
    add('head.weight', [j, 1], 'xavier');
    add('head.bias', [1], 'zeros');
  }

  private w2(name: string): tf.Tensor2D {
    return this.weights.get(name)! as tf.Tensor2D;
  }

  private w1(name: string): tf.Tensor1D {
    return this.weights.get(name)! as tf.Tensor1D;
  }

  /** Bag of canonical prompt words [B, V] (counts); unknown words are an error naming them. */
  private bagOfWords(prompts: string[]): tf.Tensor2D {
    const v = this.config.vocab.length;
    const data = new Float32Array(prompts.length * v);
    prompts.forEach((prompt, b) => {
      for (const word of formatPrompt(parsePrompt(prompt)).split(' ')) {
        const i = this.wordIndex.get(word);
        if (i === undefined) throw new Error(`Critic: the word "${word}" is not in its vocabulary; retrain the critic on the current world vocabulary.`);
        data[b * v + i] += 1;
      }
    });
    return tf.tensor2d(data, [prompts.length, v]);
  }

  /**
   * Rewards of videos [B, F, H, W, 3] for their prompts → [B].
   * 1. tokens: p×p patches of each frame and of its difference to the previous frame (frame 0's
   *    difference is zero); 2. per-token features, pooled (mean and max) over tokens and frames;
   * 3. text features; 4. joint MLP with the text-gated video features and the standardised
   * descriptors [B, D] (required when the config has them), plus a linear read of those.
   */
  reward(videos: tf.Tensor5D, prompts: string[], descriptors?: tf.Tensor2D): tf.Tensor1D {
    const { frames: f, height: hh, width: ww, patchSize: p, hidden: h } = this.config;
    const b = videos.shape[0];
    if (videos.shape[1] !== f || videos.shape[2] !== hh || videos.shape[3] !== ww) {
      throw new Error(`Critic: videos [${videos.shape.slice(1)}] do not match its input ${f}×${hh}×${ww}×3; train a critic for this model size.`);
    }
    // 1. [B, F, H·W·3] → frame differences, concatenated on channels → [B, F, H, W, 6]. Sliced on
    //    rank 3: tfjs-wasm 4.22 slices a rank-5 tensor along the frame axis ~50× slower (35 ms vs
    //    0.4 ms for [32, 4, 16, 16, 3], measured).
    const flat = videos.reshape([b, f, hh * ww * 3]) as tf.Tensor3D;
    const previous = tf.concat([tf.slice(flat, [0, 0, 0], [b, 1, -1]), tf.slice(flat, [0, 0, 0], [b, f - 1, -1])], 1);
    const x = tf.concat([videos, tf.sub(flat, previous).reshape([b, f, hh, ww, 3])], 4);
    const n = (hh / p) * (ww / p);
    // [B·F·H/p, p, W/p, p·6] → [B·F·H/p, W/p, p, p·6] → [B·F·N, p·p·6]
    const tokens = tf.transpose(x.reshape([b * f * (hh / p), p, ww / p, p * 6]), [0, 2, 1, 3]).reshape([b * f * n, p * p * 6]) as tf.Tensor2D;
    // 2. [B·F·N, 6p²] x [6p², h] → [B·F·N, h] → pooled [B, 2h]
    const feats = gelu(matmulBias(tokens, this.w2('patch.weight'), this.w1('patch.bias'))).reshape([b, f * n, h]);
    const video = tf.concat([tf.mean(feats, 1), tf.max(feats, 1)], 1) as tf.Tensor2D; // [B, 2h]
    // 3. [B, V] x [V, th] → [B, th]
    const text = gelu(matmulBias(this.bagOfWords(prompts), this.w2('text.weight'), this.w1('text.bias')));
    // 4. [B, 2h + th + (2h + D) + D] x [·, j] → [B, j] x [j, 1] → [B], + [B, D] x [D, 1]
    const d = this.config.descriptors ?? 0;
    if (d > 0 && (!descriptors || descriptors.shape[0] !== b || descriptors.shape[1] !== d)) throw new Error(`Critic: expected descriptors [${b}, ${d}] for ${b} videos.`);
    const seen = d > 0 ? tf.concat([video, descriptors!], 1) : video;
    const gated = tf.mul(seen, matmul2d(text, this.w2('gate.weight')));
    const parts = d > 0 ? [video, text, gated, descriptors!] : [video, text, gated];
    const joint = gelu(matmulBias(tf.concat(parts, 1) as tf.Tensor2D, this.w2('joint.weight'), this.w1('joint.bias')));
    const r = matmulBias(joint, this.w2('head.weight'), this.w1('head.bias'));
    return (d > 0 ? tf.add(r, matmul2d(descriptors!, this.w2('descriptor.weight'))) : r).reshape([b]) as tf.Tensor1D;
  }

  /** The videos' descriptors, standardised by the stats of the first training ([n, D]; null for a pixels-only critic). */
  private descriptorTensor(videos: readonly Float32Array[]): tf.Tensor2D | null {
    const d = this.config.descriptors ?? 0;
    if (d === 0) return null;
    const raw = videos.map((v) => this.describe(v));
    this.descriptorStats ??= standardisation(raw);
    const { mean, scale } = this.descriptorStats;
    const data = new Float32Array(videos.length * d);
    raw.forEach((x, i) => x.forEach((value, k) => { data[i * d + k] = (value - mean[k]) / scale[k]; }));
    return tf.tensor2d(data, [videos.length, d]);
  }

  private describe(video: Float32Array): Float32Array {
    let x = descriptorCache.get(video);
    if (!x) {
      const { frames, height, width } = this.config;
      const v = { frames, height, width, data: video.subarray(0, frames * height * width * 3) };
      x = videoDescriptor(v, detectObject(v));
      descriptorCache.set(video, x);
    }
    return x;
  }

  private pairTensors(examples: readonly CriticExample[]): { a: tf.Tensor5D; b: tf.Tensor5D; prompts: string[] } {
    const { frames: f, height: h, width: w } = this.config;
    const per = f * h * w * 3;
    const stack = (pick: (e: CriticExample) => Float32Array) => {
      const data = new Float32Array(examples.length * per);
      examples.forEach((e, i) => data.set(pick(e).subarray(0, per), i * per));
      return tf.tensor5d(data, [examples.length, f, h, w, 3]);
    };
    return { a: stack((e) => e.a), b: stack((e) => e.b), prompts: examples.map((e) => e.prompt) };
  }

  /** Δ = r(a) − r(b) for each example (one forward over a and b together). */
  private deltas(examples: readonly CriticExample[]): tf.Tensor1D {
    const { a, b, prompts } = this.pairTensors(examples);
    const descriptors = this.descriptorTensor([...examples.map((e) => e.a), ...examples.map((e) => e.b)]) ?? undefined;
    const r = this.reward(tf.concat([a, b], 0) as tf.Tensor5D, [...prompts, ...prompts], descriptors);
    const n = examples.length;
    return tf.sub(tf.slice(r, [0], [n]), tf.slice(r, [n], [n])) as tf.Tensor1D;
  }

  /**
   * Bradley–Terry training with Adam on random minibatches (sides swapped at random, label
   * flipped). Each step reads its loss and gradient norm back in one asynchronous read: the engine
   * worker trains the critic too, and a synchronous read on WebGPU stalls it.
   */
  async train(examples: readonly CriticExample[], opts: CriticTrainOptions): Promise<number[]> {
    if (examples.length === 0) throw new Error('Critic: no judgments to learn from. Rank some pairs (left/right/tie) first.');
    if ((this.config.descriptors ?? 0) > 0) this.descriptorStats ??= standardisation(examples.flatMap((e) => [this.describe(e.a), this.describe(e.b)]));
    const batchSize = Math.min(opts.batchSize ?? 16, examples.length);
    const rng = makeRng(opts.seed ?? 1);
    const adam = createAdamState(this.weights);
    const decay = opts.weightDecay ?? DEFAULT_CRITIC_WEIGHT_DECAY;
    const losses: number[] = [];
    try {
      for (let step = 0; step < opts.steps; step++) {
        const batch = Array.from({ length: batchSize }, () => {
          const e = examples[Math.floor(rng() * examples.length)];
          return rng() < 0.5 ? e : { prompt: e.prompt, a: e.b, b: e.a, label: 1 - e.label };
        });
        const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
          const nll = bradleyTerryLoss(this.deltas(batch), tf.tensor1d(batch.map((e) => e.label)));
          const l2 = tf.addN([...this.weights].filter(([k]) => k.endsWith('weight')).map(([, v]) => tf.sum(tf.square(v))));
          return tf.add(nll, tf.mul(l2, decay)) as tf.Scalar;
        }), [...this.weights.values()]);
        const byKey = new Map([...this.weights].map(([k, v]) => [k, grads[v.name]]));
        const readout = tf.tidy(() => tf.stack([value, squaredGlobalNorm(byKey)]));
        try {
          const [loss, squaredNorm] = await readout.data();
          applyAdam(this.weights, byKey, adam, { lr: opts.lr ?? 3e-3, clipNorm: 5 }, Math.sqrt(squaredNorm));
          losses.push(loss);
        } finally {
          tf.dispose([readout, value, ...Object.values(grads)]);
        }
        this.steps += 1;
        opts.onStep?.(step + 1, losses[step]);
      }
    } finally {
      tf.dispose([...adam.m.values(), ...adam.v.values()]);
    }
    return losses;
  }

  /** Verdicts on pairs of videos (a = video 0, b = video 1; labels ignored). */
  async judgeMany(pairs: readonly Omit<CriticExample, 'label'>[], batchSize = 32): Promise<CriticJudgment[]> {
    const out: CriticJudgment[] = [];
    for (let i = 0; i < pairs.length; i += batchSize) {
      const chunk = pairs.slice(i, i + batchSize).map((p) => ({ ...p, label: 0 }));
      const deltas = tf.tidy(() => this.deltas(chunk));
      let d: Float32Array;
      try {
        d = (await deltas.data()) as Float32Array;
      } finally {
        deltas.dispose();
      }
      for (const delta of d) {
        const p0 = 1 / (1 + Math.exp(-delta));
        out.push({ preferred: p0 >= 0.5 ? 0 : 1, confidence: Math.max(p0, 1 - p0), probability0: p0 });
      }
    }
    return out;
  }

  async judge(prompt: string, video0: Float32Array, video1: Float32Array): Promise<CriticJudgment> {
    return (await this.judgeMany([{ prompt, a: video0, b: video1 }]))[0];
  }

  /**
   * Agreement with held-out judgments: the fraction of strict ones (label 0 or 1) where the
   * critic prefers the same video; ties are not counted (they have no side to agree with).
   */
  async agreement(examples: readonly CriticExample[]): Promise<{ agreement: number; count: number; meanConfidence: number }> {
    const strict = examples.filter((e) => e.label !== 0.5);
    const verdicts = await this.judgeMany(strict);
    let agree = 0;
    verdicts.forEach((v, i) => {
      if (v.preferred === (strict[i].label > 0.5 ? 0 : 1)) agree += 1;
    });
    const meanConfidence = verdicts.reduce((a, v) => a + v.confidence, 0) / Math.max(1, verdicts.length);
    return { agreement: strict.length ? agree / strict.length : NaN, count: strict.length, meanConfidence };
  }

  /** Plain data (JSON) for persistence: config, step count and base64 weights. */
  toJSON(): CriticRecord {
    const weights: Record<string, { shape: number[]; data: string }> = {};
    for (const [k, v] of this.weights) weights[k] = { shape: [...v.shape], data: float32ToBase64(v.dataSync() as Float32Array) };
    const stats = this.descriptorStats && { mean: float32ToBase64(this.descriptorStats.mean), scale: float32ToBase64(this.descriptorStats.scale) };
    return { config: this.config, steps: this.steps, weights, ...(stats ? { descriptorStats: stats } : {}) };
  }

  static fromJSON(record: CriticRecord): Critic {
    const critic = new Critic(record.config);
    for (const [k, v] of critic.weights) {
      const saved = record.weights[k];
      if (!saved || saved.shape.join() !== v.shape.join()) throw new Error(`Critic record: weight "${k}" is ${saved ? `[${saved.shape}]` : 'missing'}, expected [${v.shape}]. The record is from another critic version; retrain the critic.`);
      tf.tidy(() => v.assign(tf.tensor(base64ToFloat32(saved.data, `critic ${k}`), saved.shape)));
    }
    critic.steps = record.steps;
    if (record.descriptorStats) critic.descriptorStats = { mean: base64ToFloat32(record.descriptorStats.mean, 'critic descriptor mean'), scale: base64ToFloat32(record.descriptorStats.scale, 'critic descriptor scale') };
    return critic;
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}

export interface CriticRecord {
  config: CriticConfig;
  steps: number;
  weights: Record<string, { shape: number[]; data: string }>;
  descriptorStats?: { mean: string; scale: string };
}

/** Per-entry mean and standard deviation (1 where an entry does not vary). */
function standardisation(rows: readonly Float32Array[]): DescriptorStats {
  const d = rows[0]?.length ?? 0;
  const mean = new Float32Array(d);
  const scale = new Float32Array(d).fill(1);
  if (rows.length === 0) return { mean, scale };
  for (const r of rows) r.forEach((x, k) => { mean[k] += x / rows.length; });
  for (let k = 0; k < d; k++) {
    const variance = rows.reduce((a, r) => a + (r[k] - mean[k]) ** 2, 0) / rows.length;
    if (variance > 1e-12) scale[k] = Math.sqrt(variance);
  }
  return { mean, scale };
}
