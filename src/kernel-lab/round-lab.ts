/**
 * A whole preference round (`trainRound`: LoRA, DPO or KTO loss, SFT term, Adam with clipping) on
 * webgpu with the fused kernels against the same round on the CPU backend's reference path. It
 * guards the round as a whole: a step that the GPU silently dropped (an invalid pipeline drops its
 * submit and the round still reports "completed") trains on zeros, which per-kernel checks miss.
 */
import * as tf from '@tensorflow/tfjs';
import { gaussianNoise } from '../diffusion/noise';
import { Policy } from '../engine/policy';
import type { PreferenceSlot, SftSource } from '../engine/preference-batch';
import { trainRound } from '../engine/train-round';
import { kernelDispatchCounts, preferenceLoss, resetKernelDispatchCounts, selectKernels } from '../kernels';
import { memoryShape, parameterSpecs, type Params } from '../model/params';
import { presetConfig } from '../model/presets';
import { roundHyper } from '../prefs/rounds';
import { decodeSnapshot } from '../prefs/lora-data';
import type { LoraSnapshot, StepMetrics } from '../prefs/types';
import { addNoise } from '../world/degrade';
import { render } from '../world/render';
import { onBackend } from './util';

export interface RoundCase {
  method: 'dpo' | 'kto';
  steps: number;
  batchSize: number;
  pairs: number;
}

const PROMPTS = ['a red circle moves left', 'a blue square moves up', 'a green triangle grows', 'a yellow circle bounces on a white background'];

/** Pairs with a planted preference: the clean render of the prompt beats the same render under noise. */
function plantedSlots(pairs: number, shape: { frames: number; height: number; width: number }): PreferenceSlot[] {
  return Array.from({ length: pairs }, (_, i) => {
    const prompt = PROMPTS[i % PROMPTS.length];
    const clean = render(prompt, 100 + i, shape);
    const noisy = addNoise(clean, 0.4, 200 + i);
    return [
      { prompt, firstFrame: null, video: clean.data, desirable: true },
      { prompt, firstFrame: null, video: noisy.data, desirable: false },
    ];
  });
}

/** Base weights drawn from fixed arrays (not tf's RNG), so both backends start from the same numbers. */
function baseParams(config: ReturnType<typeof presetConfig>): Params {
  const params: Params = new Map();
  let seed = 31;
  for (const spec of parameterSpecs(config)) {
    const shape = memoryShape(spec);
    const n = shape.reduce((a, b) => a * b, 1);
    params.set(spec.name, tf.tensor(Float32Array.from(gaussianNoise(seed++, n), (v) => 0.1 * v), shape));
  }
  return params;
}

interface RoundRun {
  metrics: StepMetrics[];
  lora: LoraSnapshot;
  dispatches: Record<string, number>;
  ms: number;
}

async function runOn(backend: 'cpu' | 'webgpu', c: RoundCase): Promise<RoundRun> {
  return onBackend(backend, async () => {
    const status = selectKernels(backend);
    const config = presetConfig('tiny');
    const slots = plantedSlots(c.pairs, config);
    const sft: SftSource[] = PROMPTS.map((prompt) => ({ prompt, firstFrameSeed: null }));
    const params = baseParams(config);
    const policy = new Policy(config, params);
    const hyper = roundHyper({ method: c.method, steps: c.steps, batchSize: c.batchSize, warmupSteps: 1 });
    resetKernelDispatchCounts();
    const start = performance.now();
    try {
      const result = await trainRound({ config, policy, hyper, roundIndex: 1, slots, sft, lossFn: status.fused ? preferenceLoss : undefined });
      if (result.status !== 'completed' || !result.lora) throw new Error(`round lab: the ${backend} round ended ${result.status}`);
      return { metrics: result.metrics, lora: result.lora, dispatches: kernelDispatchCounts(), ms: performance.now() - start };
    } finally {
      policy.dispose();
      tf.dispose([...params.values()]);
      selectKernels(backend, { fused: false });
    }
  });
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/**
 * Per step: loss and gradient norm of both runs. Per LoRA matrix: the relative Frobenius
 * difference ‖fused − reference‖ / ‖reference‖ of the trained adapter, worst one reported.
 */
export async function roundCase(c: RoundCase) {
  const reference = await runOn('cpu', c);
  const fused = await runOn('webgpu', c);
  let worst = { name: '', relDiff: 0, norm: 0 };
  let loraNorm = 0;
  const got = decodeSnapshot(fused.lora);
  for (const [name, ref] of decodeSnapshot(reference.lora)) {
    for (const part of ['loraA', 'loraB'] as const) {
      const scale = norm(ref[part]);
      loraNorm += scale * scale;
      const relDiff = diffNorm(got.get(name)![part], ref[part]) / Math.max(scale, 1e-12);
      if (!(relDiff <= worst.relDiff)) worst = { name: `${name}.${part}`, relDiff, norm: scale };
    }
  }
  const pick = (m: StepMetrics) => ({ loss: m.loss, gradNorm: m.gradNorm, implicitAccuracy: m.implicitAccuracy, rewardMargin: m.rewardMargin });
  return {
    steps: reference.metrics.map((m, i) => ({ reference: pick(m), fused: pick(fused.metrics[i]) })),
    loraNorm: Math.sqrt(loraNorm),
    worstLora: worst,
    fusedDispatches: fused.dispatches,
    referenceDispatches: reference.dispatches,
    ms: { reference: reference.ms, fused: fused.ms },
  };
}
