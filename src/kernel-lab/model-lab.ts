/**
 * The whole model on webgpu with the fused kernels switched on and off (`selectKernels`): the
 * velocity prediction and the gradients of the flow-matching loss w.r.t. every parameter.
 */
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss, frameTimes, interpolate, type FlowBatch } from '../diffusion/flow';
import { gaussianNoise } from '../diffusion/noise';
import type { SpatialAttentionMode } from '../model/config';
import { forward } from '../model/dit';
import { randomParams, type Params } from '../model/params';
import { presetConfig } from '../model/presets';
import { tokenizeBatch } from '../model/tokenizer';
import { kernelDispatchCounts, kernelsStatus, resetKernelDispatchCounts, selectKernels } from '../kernels';
import { maxAbs, maxAbsDiff, onBackend } from './util';

export interface ModelCase {
  config: 'tiny' | 'small';
  batch: number;
  spatialAttention?: SpatialAttentionMode;
  seed?: number;
}

/** Every parameter random (src/model/params.ts randomParams), as variables for the gradients. */
function randomVariables(config: ReturnType<typeof presetConfig>, seed: number): Map<string, tf.Variable> {
  return new Map([...randomParams(config, seed)].map(([name, t]) => [name, tf.variable(t, true, `${name}#${seed}`)]));
}

const PROMPTS = ['a red circle moves left', 'a blue square moves up on a white background', 'a green triangle bounces'];

function randomBatch(config: ReturnType<typeof presetConfig>, b: number, seed: number): FlowBatch {
  const shape: [number, number, number, number, number] = [b, config.frames, config.height, config.width, 3];
  const n = shape.reduce((x, y) => x * y, 1);
  return {
    x0: tf.tensor5d(Float32Array.from(gaussianNoise(seed, n), (v) => Math.tanh(v)), shape),
    eps: tf.tensor5d(gaussianNoise(seed + 1, n), shape),
    ids: tf.tensor2d(tokenizeBatch(Array.from({ length: b }, (_, i) => PROMPTS[i % PROMPTS.length]), config), [b, config.maxTextLength], 'int32'),
    t: Float32Array.from({ length: b }, (_, i) => 0.3 + (0.5 * i) / Math.max(1, b - 1)),
    firstFrame: Array.from({ length: b }, (_, i) => i % 2 === 1),
  };
}

interface PathRun {
  prediction: Float32Array;
  loss: number;
  grads: Map<string, Float32Array>;
  dispatches: Record<string, number>;
  attention: string;
  ms: number;
}

export async function modelCase(c: ModelCase) {
  return onBackend('webgpu', async () => {
    const config = presetConfig(c.config);
    const seed = c.seed ?? 11;
    const params = randomVariables(config, seed);
    const batch = randomBatch(config, c.batch, seed + 100);
    const vars = [...params.values()];
    const opts = { spatialAttention: c.spatialAttention };
    const run = async (fused: boolean): Promise<PathRun> => {
      const status = selectKernels('webgpu', { fused });
      resetKernelDispatchCounts();
      const start = performance.now();
      const prediction = tf.tidy(() => {
        const t = frameTimes(batch.t, config.frames, batch.firstFrame);
        return forward(params as unknown as Params, config, interpolate(batch.x0, batch.eps, t), t, batch.ids, opts);
      });
      const { value, grads } = tf.variableGrads(() => flowMatchingLoss(params as unknown as Params, config, batch, opts), vars);
      const out: PathRun = { prediction: (await prediction.data()) as Float32Array, loss: (await value.data())[0], grads: new Map(), dispatches: {}, attention: status.fused ? 'fused' : 'reference', ms: 0 };
      for (const [name, v] of params) out.grads.set(name, (await grads[v.name].data()) as Float32Array);
      out.ms = performance.now() - start;
      out.dispatches = kernelDispatchCounts();
      tf.dispose([prediction, value, ...Object.values(grads)]);
      return out;
    };
    try {
      const reference = await run(false);
      const fused = await run(true);
      // Per parameter: max |Δ| / max |reference gradient|; report the worst. The denominator is
      // floored at 1e-3 of the largest gradient of any parameter: attention key biases have an
      // exactly-zero true gradient (softmax is shift-invariant), so both paths give rounding noise
      // there (~1e-9) and their ratio means nothing.
      const floor = 1e-3 * Math.max(...[...reference.grads.values()].map(maxAbs));
      let worstGrad = { name: '', relErr: 0, scale: 0 };
      for (const [name, g] of reference.grads) {
        const scale = maxAbs(g);
        const relErr = maxAbsDiff(fused.grads.get(name)!, g) / Math.max(scale, floor);
        if (!(relErr <= worstGrad.relErr)) worstGrad = { name, relErr, scale };
      }
      return {
        kernels: kernelsStatus(),
        predictionMaxAbsErr: maxAbsDiff(fused.prediction, reference.prediction),
        lossAbsErr: Math.abs(fused.loss - reference.loss),
        worstGrad,
        parameters: reference.grads.size,
        fusedDispatches: fused.dispatches,
        referenceDispatches: reference.dispatches,
        ms: { reference: reference.ms, fused: fused.ms },
      };
    } finally {
      selectKernels('webgpu', { fused: false });
      tf.dispose([...vars, batch.x0, batch.eps, batch.ids]);
    }
  });
}
