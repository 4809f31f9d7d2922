/**
 * Seeded Gaussian noise generated in plain JS, so a (prompt, seed) pair gives the same starting
 * noise on every backend (wasm in Node, WebGPU in Chrome) and in the PyTorch twin's parity test.
 * splitmix32 → Box–Muller.
 */
export function gaussianNoise(seed: number, count: number): Float32Array {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296; // (0, 1), never 0
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const theta = 2 * Math.PI * next();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/**
 * The diffusion noise ε of one video [F, H, W, 3] under the model's frame-correlated prior
 * (`ModelConfig.noiseCorrelation` = ρ): frame f gets √ρ·s + √(1−ρ)·e_f with s and e_f independent
 * N(0, I) draws, so each frame is N(0, I) and any two frames correlate by ρ. With ρ = 0 this is
 * exactly `gaussianNoise(seed, F·H·W·3)`, so videos sampled before the prior existed keep their seeds.
 */
export function videoNoise(seed: number, frames: number, frameSize: number, correlation: number): Float32Array {
  const count = frames * frameSize;
  if (correlation === 0) return gaussianNoise(seed, count);
  const draws = gaussianNoise(seed, count + frameSize);
  const own = Math.sqrt(1 - correlation);
  const shared = Math.sqrt(correlation);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = own * draws[i] + shared * draws[count + (i % frameSize)];
  return out;
}
