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
