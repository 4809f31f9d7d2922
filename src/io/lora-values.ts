// LoRA weights as float arrays in PyTorch layout (lora_A [r, in], lora_B [out, r]), and the check
// that merging them keeps a float32 model finite. Shared by the file formats (io/lora.ts), the
// round records (prefs/lora-data.ts) and the engine's merge.
import { nonFiniteProblem } from './finite';

/** A module's A [r, in] and B [out, r] as floats, checked against the recorded sizes. */
export interface LoraModuleArrays {
  inFeatures: number;
  outFeatures: number;
  rank: number;
  /** [rank, inFeatures], row-major. */
  loraA: Float32Array;
  /** [outFeatures, rank], row-major. */
  loraB: Float32Array;
}

/**
 * The largest change one merge may make to a weight. A LayerNorm squares the activations a
 * Linear layer outputs; with fan-in ≤ 4096 and |x| ≤ 100 the square of fan_in·|ΔW|·|x| stays
 * below float32's 3.4e38 only while |ΔW| < ~4e12, so a larger delta turns the next layer's
 * output into Infinity and then NaN (a black video) even though every weight is finite.
 * Trained adapters change weights by ~1e-2.
 */
export const MAX_MERGE_DELTA = 1e12;

/**
 * `null` when `modules` can be merged with `scale` (α/r) safely, else what is wrong, naming the
 * tensor (`tensorName(module, 'A' | 'B')`, e.g. the key in the file) and the first bad index: a
 * NaN or ±Infinity, or values so large that scale·B·A may exceed MAX_MERGE_DELTA. The bound
 * |ΔW[o, i]| ≤ scale·Σ_r max_o|B[o, r]|·max_i|A[r, i]| is exact arithmetic in float64, so a
 * product that would overflow float32 is caught before it is computed.
 */
export function loraValuesProblem(
  modules: ReadonlyMap<string, LoraModuleArrays>,
  scale: number,
  tensorName: (module: string, which: 'A' | 'B') => string = (module, which) => `${module}.lora_${which}`,
): string | null {
  if (!Number.isFinite(scale)) return `its scale α/r is ${scale}, not a finite number`;
  for (const [name, m] of modules) {
    for (const [which, values, shape] of [['A', m.loraA, [m.rank, m.inFeatures]], ['B', m.loraB, [m.outFeatures, m.rank]]] as const) {
      const problem = nonFiniteProblem(values, shape);
      if (problem) return `tensor "${tensorName(name, which)}" ${problem}`;
    }
    let bound = 0;
    for (let r = 0; r < m.rank; r++) {
      let maxA = 0;
      for (let i = 0; i < m.inFeatures; i++) maxA = Math.max(maxA, Math.abs(m.loraA[r * m.inFeatures + i]));
      let maxB = 0;
      for (let o = 0; o < m.outFeatures; o++) maxB = Math.max(maxB, Math.abs(m.loraB[o * m.rank + r]));
      bound += maxA * maxB;
    }
    bound *= Math.abs(scale);
    if (bound > MAX_MERGE_DELTA) {
      const largest = (values: Float32Array) => values.reduce((best, x, i) => (Math.abs(x) > Math.abs(values[best]) ? i : best), 0);
      const [a, b] = [largest(m.loraA), largest(m.loraB)];
      return `tensors "${tensorName(name, 'A')}" and "${tensorName(name, 'B')}" would change a weight by up to ${bound.toPrecision(3)} ` +
        `(scale ${scale} × B·A; the largest values are ${m.loraA[a].toPrecision(3)} at index ${a} of lora_A and ${m.loraB[b].toPrecision(3)} at index ${b} of lora_B), ` +
        `more than the ${MAX_MERGE_DELTA.toExponential(0)} a float32 model survives`;
    }
  }
  return null;
}
