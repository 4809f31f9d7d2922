import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { flowMatchingLoss, frameTimes, interpolate, perSampleMse, shiftTime, supervisedFrames, trainingTimes } from '../../../src/diffusion/flow';
import { gaussianNoise, videoNoise } from '../../../src/diffusion/noise';
import { adamStep, createAdamState, warmupCosine, withFinalDecay } from '../../../src/diffusion/optim';
import { flowSolver, sampleVideos, type SamplerName } from '../../../src/diffusion/sampler';
import { initParams } from '../../../src/model/params';
import { presetConfig } from '../../../src/model/presets';
import { tokenizeBatch } from '../../../src/model/tokenizer';
import { render } from '../../../src/world/render';

beforeAll(async () => {
  await useWasmBackend();
});

describe('rectified flow', () => {
  it('x_t interpolates clean video and noise per frame', () => {
    const x0 = tf.ones([1, 2, 1, 1, 3]) as tf.Tensor5D;
    const eps = tf.fill([1, 2, 1, 1, 3], 3) as tf.Tensor5D;
    const t = frameTimes([0.25], 2, [true]); // frame 0 pinned clean
    expect(Array.from(t.dataSync())).toEqual([0, 0.25]);
    expect(Array.from(interpolate(x0, eps, t).dataSync())).toEqual([1, 1, 1, 1.5, 1.5, 1.5]);
  });
  it('per-sample MSE skips unsupervised frames (hand-computed)', () => {
    // sample 0: frame errors 1 and 3 (squared 1, 9), frame 0 excluded → 9; sample 1: (1 + 9) / 2 = 5
    const pred = tf.tensor5d([1, 3, 1, 3], [2, 2, 1, 1, 1]);
    const target = tf.zeros([2, 2, 1, 1, 1]) as tf.Tensor5D;
    const m = perSampleMse(pred, target, supervisedFrames(2, 2, [true, false]));
    expect(Array.from(m.dataSync())).toEqual([9, 5]);
  });
  it('the loss falls when overfitting one tiny batch', () => {
    const config = presetConfig('tiny');
    const params = initParams(config, 2);
    const vars = params as unknown as Map<string, tf.Variable>;
    const names = [...vars.keys()];
    const shape = { frames: config.frames, height: config.height, width: config.width };
    const prompts = ['a red circle moves left', 'a blue square moves up on a white background'];
    const x0 = tf.tensor5d(Float32Array.from([...render(prompts[0], 1, shape).data, ...render(prompts[1], 2, shape).data]), [2, config.frames, config.height, config.width, 3]);
    const eps = tf.tensor5d(gaussianNoise(3, x0.size), x0.shape);
    const ids = tf.tensor2d(tokenizeBatch(prompts, config), [2, config.maxTextLength], 'int32');
    const batch = { x0, eps, ids, t: Float32Array.from([0.5, 0.7]), firstFrame: [false, true] };
    const adam = createAdamState(vars);
    const losses: number[] = [];
    for (let step = 0; step < 80; step++) {
      const { value, grads } = tf.variableGrads(() => flowMatchingLoss(params, config, batch), names.map((n) => vars.get(n)!));
      losses.push(value.dataSync()[0]);
      adamStep(vars, new Map(names.map((n) => [n, grads[vars.get(n)!.name]])), adam, { lr: 3e-3, clipNorm: 1 });
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
  });
});

describe('noise prior and schedule', () => {
  it('frame-correlated noise: each frame N(0, 1), frames correlated by ρ, ρ = 0 is the plain draw', () => {
    const frames = 4;
    const frameSize = 3000;
    expect(videoNoise(9, frames, frameSize, 0)).toEqual(gaussianNoise(9, frames * frameSize));
    const rho = 0.5;
    const e = videoNoise(9, frames, frameSize, rho);
    const frame = (f: number) => e.subarray(f * frameSize, (f + 1) * frameSize);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0) / a.length;
    for (let f = 0; f < frames; f++) {
      expect(Math.abs(mean(frame(f)))).toBeLessThan(0.06);
      expect(dot(frame(f), frame(f))).toBeCloseTo(1, 1);
    }
    // 3000 samples: the standard error of a correlation near 0.5 is ~0.016.
    expect(dot(frame(0), frame(3))).toBeGreaterThan(rho - 0.06);
    expect(dot(frame(0), frame(3))).toBeLessThan(rho + 0.06);
    const independent = videoNoise(9, frames, frameSize, 0);
    expect(Math.abs(dot(independent.subarray(0, frameSize), independent.subarray(3 * frameSize)))).toBeLessThan(0.06);
  });

  it('the time shift fixes 0 and 1, is monotone, and moves mass to high noise', () => {
    expect(shiftTime(0, 3)).toBe(0);
    expect(shiftTime(1, 3)).toBe(1);
    expect(shiftTime(0.5, 1)).toBe(0.5);
    expect(shiftTime(0.5, 3)).toBeCloseTo(0.75, 10);
    for (let t = 0; t < 1; t += 0.05) expect(shiftTime(t + 0.05, 3)).toBeGreaterThan(shiftTime(t, 3));
    // A shift s is a logit offset of ln s: logit-normal(0, 1) shifted by 3 has median 0.75.
    const normals = [-1, 0, 1];
    const shifted = trainingTimes(normals, { timeShift: 3 });
    const offset = trainingTimes(normals, { timeShift: 1 }, Math.log(3));
    shifted.forEach((t, i) => expect(t).toBeCloseTo(offset[i], 6));
  });
});

describe('end to end', () => {
  it('after memorising one video, sampling from noise reproduces it', async () => {
    const config = presetConfig('tiny');
    const params = initParams(config, 1);
    const vars = params as unknown as Map<string, tf.Variable>;
    const names = [...vars.keys()];
    const prompt = 'a red circle moves left';
    const video = render(prompt, 1, { frames: config.frames, height: config.height, width: config.width }).data;
    const b = 4;
    const dims = [b, config.frames, config.height, config.width, 3] as [number, number, number, number, number];
    const x0 = tf.tensor5d(Float32Array.from({ length: b * video.length }, (_, i) => video[i % video.length]), dims);
    const ids = tf.tensor2d(tokenizeBatch(Array(b).fill(prompt), config), [b, config.maxTextLength], 'int32');
    const adam = createAdamState(vars);
    const sampleError = async () => {
      const out = await sampleVideos(params, config, { prompts: [prompt], seeds: [7], steps: 12, guidance: 1 });
      return out.reduce((a, v, i) => a + (v - video[i]) ** 2, 0) / out.length;
    };
    const before = await sampleError();
    for (let step = 0; step < 150; step++) {
      const eps = tf.tensor5d(gaussianNoise(100 + step, x0.size), dims);
      const t = Float32Array.from({ length: b }, (_, i) => 1 / (1 + Math.exp(-gaussianNoise(step, b)[i])));
      const { value, grads } = tf.variableGrads(() => flowMatchingLoss(params, config, { x0, eps, ids, t, firstFrame: Array(b).fill(false) }), names.map((n) => vars.get(n)!));
      adamStep(vars, new Map(names.map((n) => [n, grads[vars.get(n)!.name]])), adam, { lr: 2e-3, clipNorm: 1 });
      tf.dispose([value, eps, ...Object.values(grads)]);
    }
    const after = await sampleError();
    // A fresh model returns roughly the noise (error ≳ 1); a working pipeline lands near the video.
    expect(before).toBeGreaterThan(0.5);
    expect(after).toBeLessThan(0.15);
  });
});

describe('optimiser', () => {
  it('Adam takes a first step of size lr against the gradient sign', () => {
    const x = tf.variable(tf.tensor1d([1, -2]));
    const vars = new Map([['x', x]]);
    const state = createAdamState(vars);
    adamStep(vars, new Map([['x', tf.tensor1d([0.3, -5])]]), state, { lr: 0.1 });
    const got = Array.from(x.dataSync());
    expect(got[0]).toBeCloseTo(0.9, 5);
    expect(got[1]).toBeCloseTo(-1.9, 5);
  });
  it('warm-up then cosine decay to the floor', () => {
    expect(warmupCosine(0, 1, 10, 110)).toBeCloseTo(0.1);
    expect(warmupCosine(10, 1, 10, 110)).toBeCloseTo(1);
    expect(warmupCosine(60, 1, 10, 110)).toBeCloseTo(0.55);
    expect(warmupCosine(500, 1, 10, 110)).toBeCloseTo(0.1);
  });
  it('final decay holds the base schedule, then falls linearly to zero at the end step', () => {
    const base = (step: number) => 2 - step / 1000;
    expect(withFinalDecay(100, 1000, 0, base)).toBe(base(100));
    expect(withFinalDecay(599, 1000, 400, base)).toBe(base(599));
    expect(withFinalDecay(600, 1000, 400, base)).toBeCloseTo(1.4);
    expect(withFinalDecay(800, 1000, 400, base)).toBeCloseTo(0.7);
    expect(withFinalDecay(999, 1000, 400, base)).toBeCloseTo(1.4 / 400);
    expect(withFinalDecay(1200, 1000, 400, base)).toBe(0);
  });
});

describe('sampler', () => {
  const config = presetConfig('tiny');
  it('is deterministic per seed and differs across seeds', async () => {
    const params = initParams(config, 4, false);
    // Make the model non-trivial: a fresh model predicts v = 0 and would return the noise.
    for (const [name, t] of params) if (name.startsWith('proj_out') || name.includes('norm')) params.set(name, tf.add(t, tf.randomNormal(t.shape, 0, 0.05, 'float32', 1)));
    const a = await sampleVideos(params, config, { prompts: ['a red circle moves left'], seeds: [5], steps: 3 });
    const b = await sampleVideos(params, config, { prompts: ['a red circle moves left'], seeds: [5], steps: 3 });
    const c = await sampleVideos(params, config, { prompts: ['a red circle moves left'], seeds: [6], steps: 3 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a.length).toBe(config.frames * config.height * config.width * 3);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
  });
  it('stochastic sampling (η) re-noises with seeded fresh noise: deterministic per seed, differs from the ODE, η = 0 is the ODE', async () => {
    const params = initParams(config, 4, false);
    for (const [name, t] of params) if (name.startsWith('proj_out') || name.includes('norm')) params.set(name, tf.add(t, tf.randomNormal(t.shape, 0, 0.05, 'float32', 1)));
    const run = (seed: number, stochasticity?: number) => sampleVideos(params, config, { prompts: ['a red circle moves left'], seeds: [seed], steps: 3, stochasticity });
    const ode = Array.from(await run(5));
    expect(Array.from(await run(5, 0))).toEqual(ode);
    const noisy = Array.from(await run(5, 0.5));
    expect(Array.from(await run(5, 0.5))).toEqual(noisy);
    expect(noisy).not.toEqual(ode);
    expect(Array.from(await run(5, 1))).not.toEqual(noisy);
    await expect(run(5, 1.5)).rejects.toThrow(/stochasticity must be in \[0, 1\]/);
  });
  it('keeps a given first frame exactly (first-frame conditioning)', async () => {
    const params = initParams(config, 4, false);
    for (const [name, t] of params) if (name.startsWith('proj_out')) params.set(name, tf.add(t, 0.05));
    const first = render('a green triangle grows', 9, { frames: 1, height: config.height, width: config.width }).data;
    const out = await sampleVideos(params, config, { prompts: ['a green triangle grows'], seeds: [1], steps: 3, firstFrames: [first] });
    const frameSize = config.height * config.width * 3;
    expect(Array.from(out.subarray(0, frameSize))).toEqual(Array.from(first, (v) => Math.max(-1, Math.min(1, v))));
    expect(Array.from(out.subarray(frameSize, 2 * frameSize))).not.toEqual(Array.from(first));
  });
  it('dpm++2m converges faster than Euler: on Gaussian data, whose ODE solution is exact, ≥ 2× nearer it at the same steps', () => {
    // x0 ~ N(μ, s²) per element: E[x0 | x_t] is linear in x_t and the flow maps ε to x0 = μ + s·ε exactly.
    const mu = 0.3, s = 0.2;
    const velocity = (x: tf.Tensor, t: number) => tf.tidy(() => {
      const variance = (1 - t) ** 2 * s * s + t * t;
      const x0 = tf.add(mu, tf.mul(tf.sub(x, (1 - t) * mu), ((1 - t) * s * s) / variance));
      return tf.div(tf.sub(x, x0), t);
    });
    const eps = tf.tensor1d([-1.5, -0.3, 0.4, 2]);
    const exact = eps.mul(s).add(mu);
    const error = (sampler: 'euler' | 'dpm++2m', steps: number) => tf.tidy(() => {
      const solver = flowSolver(sampler);
      let x: tf.Tensor = eps;
      for (let i = 0; i < steps; i++) {
        const [t, tNext] = [shiftTime(1 - i / steps, 1), shiftTime(1 - (i + 1) / steps, 1)];
        x = solver.step(x, velocity(x, t), t, tNext);
      }
      solver.dispose();
      return tf.max(tf.abs(tf.sub(x, exact))).dataSync()[0];
    });
    for (const steps of [12, 48]) expect(error('dpm++2m', steps)).toBeLessThan(0.5 * error('euler', steps));
    expect(error('euler', 48)).toBeCloseTo(error('euler', 24) / 2, 2); // Euler: first order
    tf.dispose([eps, exact]);
  });
  it('the sampler is chosen by name: Euler by default, dpm++2m differs, unknown names and dpm++2m with η are errors', async () => {
    const params = initParams(config, 4, false);
    for (const [name, t] of params) if (name.startsWith('proj_out') || name.includes('norm')) params.set(name, tf.add(t, tf.randomNormal(t.shape, 0, 0.05, 'float32', 1)));
    const run = (sampler?: SamplerName, stochasticity?: number) => sampleVideos(params, config, { prompts: ['a red circle moves left'], seeds: [3], steps: 4, sampler, stochasticity });
    const euler = Array.from(await run('euler'));
    expect(Array.from(await run())).toEqual(euler);
    expect(Array.from(await run('dpm++2m'))).not.toEqual(euler);
    const tensors = tf.memory().numTensors;
    await expect(run('heun' as SamplerName)).rejects.toThrow(/unknown sampler "heun"/);
    await expect(run('dpm++2m', 0.5)).rejects.toThrow(/stochasticity needs the euler sampler/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
  it('reports progress and can be cancelled', async () => {
    const params = initParams(config, 4, false);
    const seen: number[] = [];
    await expect(sampleVideos(params, config, { prompts: ['a red circle moves left'], seeds: [1], steps: 5, onStep: (d) => { seen.push(d); return d < 2; } })).rejects.toThrow(/cancelled/);
    expect(seen).toEqual([1, 2]);
  });
});
