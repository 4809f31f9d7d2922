import * as tf from '@tensorflow/tfjs';
import { gaussianNoise } from '../diffusion/noise';
import type { ModelConfig } from './config';
import { memoryShape, parameterSpecs } from './param-specs';

export { countParameters, linearModules, memoryShape, parameterSpecs, type Init, type ParamSpec } from './param-specs';

/** A named set of tensors (variables when trainable). */
export type Params = Map<string, tf.Tensor>;

/** Deterministic initialisation from a seed (xavier-uniform for Linear, N(0, 0.02) for embeddings). */
export function initParams(config: ModelConfig, seed: number, trainable = true): Params {
  const params: Params = new Map();
  let s = seed >>> 0;
  const nextSeed = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  for (const spec of parameterSpecs(config)) {
    const shape = memoryShape(spec);
    const t = tf.tidy(() => {
      switch (spec.init) {
        case 'zeros': return tf.zeros(shape);
        case 'ones': return tf.ones(shape);
        case 'normal02': return tf.randomNormal(shape, 0, 0.02, 'float32', nextSeed());
        case 'xavier': {
          const [fanIn, fanOut] = shape;
          const limit = Math.sqrt(6 / (fanIn + fanOut));
          return tf.randomUniform(shape, -limit, limit, 'float32', nextSeed());
        }
      }
    });
    params.set(spec.name, trainable ? tf.variable(t, true) : t);
    if (trainable) t.dispose();
  }
  return params;
}

/**
 * Every parameter N(0, 0.1²) from seeded plain-JS noise (adaLN gates and output heads non-zero, so
 * every path matters): the tests' and labs' model, the same on every backend.
 */
export function randomParams(config: ModelConfig, seed: number): Params {
  const params: Params = new Map();
  let s = seed;
  for (const spec of parameterSpecs(config)) {
    const shape = memoryShape(spec);
    const n = shape.reduce((a, b) => a * b, 1);
    params.set(spec.name, tf.tensor(Float32Array.from(gaussianNoise(s++, n), (v) => 0.1 * v), shape));
  }
  return params;
}
