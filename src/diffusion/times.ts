// Training and sampling times of rectified flow as plain numbers (no tfjs), so the pretraining
// batches can be built where tfjs is not loaded (the GPU twin's batch server, gpu/README.md).
import type { ModelConfig } from '../model/config';

/**
 * Logit-normal time sampling (SD3 §3.1): t = σ(m + s·n). Effort concentrates at mid-to-high noise,
 * where layout, colour and motion are decided.
 */
export function logitNormalTimes(normals: ArrayLike<number>, mean = 0, std = 1): Float32Array {
  const out = new Float32Array(normals.length);
  for (let i = 0; i < normals.length; i++) out[i] = 1 / (1 + Math.exp(-(mean + std * normals[i])));
  return out;
}

/** SD3's time shift t ↦ s·t/(1 + (s−1)·t): monotone, fixes 0 and 1, s = 1 is the identity. */
export function shiftTime(t: number, shift: number): number {
  return (shift * t) / (1 + (shift - 1) * t);
}

/** Training times under a config's schedule: logit-normal, then the config's time shift. */
export function trainingTimes(normals: ArrayLike<number>, config: Pick<ModelConfig, 'timeShift'>, mean = 0, std = 1): Float32Array {
  return logitNormalTimes(normals, mean, std).map((t) => shiftTime(t, config.timeShift));
}
