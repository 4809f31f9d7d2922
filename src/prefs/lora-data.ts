// LoRA weights as plain data (LoraSnapshot) and back: float32 arrays in PyTorch layout
// (lora_A [r, in], lora_B [out, r]) encoded as base64 so a round record stays JSON and exact.
// Also the exact concatenation of several rounds' snapshots into one adapter of rank Σr
// (docs/architecture.md §4), in plain arrays, for export without tfjs.
import type { LoraModuleArrays } from '../io/lora-values';
import type { LoraModuleData, LoraSnapshot } from './types';

/** Little-endian float32 → base64 (chunked: String.fromCharCode has an argument limit). */
export function float32ToBase64(data: Float32Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function base64ToFloat32(text: string, what = 'LoRA tensor'): Float32Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error(`${what}: not valid base64; the round record is corrupt. Restore it from a backup or re-run the round.`);
  }
  if (binary.length % 4 !== 0) throw new Error(`${what}: ${binary.length} bytes is not a whole number of float32 values; the round record is corrupt.`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

export function decodeModule(name: string, m: LoraModuleData, rank: number): LoraModuleArrays {
  const loraA = base64ToFloat32(m.loraA, `${name}.lora_A`);
  const loraB = base64ToFloat32(m.loraB, `${name}.lora_B`);
  if (loraA.length !== rank * m.inFeatures || loraB.length !== m.outFeatures * rank) {
    throw new Error(`LoRA module ${name}: lora_A has ${loraA.length} values and lora_B ${loraB.length}, expected ${rank}×${m.inFeatures} and ${m.outFeatures}×${rank}. The round record is corrupt.`);
  }
  return { inFeatures: m.inFeatures, outFeatures: m.outFeatures, rank, loraA, loraB };
}

export function encodeModule(m: Omit<LoraModuleArrays, 'rank'>): LoraModuleData {
  return { inFeatures: m.inFeatures, outFeatures: m.outFeatures, loraA: float32ToBase64(m.loraA), loraB: float32ToBase64(m.loraB) };
}

/** Every module of a snapshot decoded. */
export function decodeSnapshot(s: LoraSnapshot): Map<string, LoraModuleArrays> {
  return new Map(Object.entries(s.modules).map(([name, m]) => [name, decodeModule(name, m, s.rank)]));
}

/**
 * Σ_k s_k·B_k·A_k (PyTorch layout, s_k = α_k / r_k) as one adapter of rank Σ r_k with α = rank
 * (scale 1): A = [s_1·A_1; …; s_K·A_K] stacked by rows, B = [B_1 | … | B_K] by columns. Exact:
 * the same products summed, no approximation. A module missing from a round contributes zero
 * rows (that round's rank is kept so every module has the same rank, as peft expects).
 */
export function concatenateSnapshots(snapshots: readonly LoraSnapshot[]): { rank: number; alpha: number; targetModules: string[]; modules: Map<string, LoraModuleArrays> } {
  if (snapshots.length === 0) throw new Error('concatenateSnapshots: no completed rounds to export yet. Run a round first.');
  const rank = snapshots.reduce((r, s) => r + s.rank, 0);
  const decoded = snapshots.map(decodeSnapshot);
  const names = [...new Set(decoded.flatMap((d) => [...d.keys()]))].sort();
  const modules = new Map<string, LoraModuleArrays>();
  for (const name of names) {
    const sizes = decoded.map((d) => d.get(name)).find((m) => m)!;
    const { inFeatures, outFeatures } = sizes;
    const loraA = new Float32Array(rank * inFeatures);
    const loraB = new Float32Array(outFeatures * rank);
    let offset = 0;
    snapshots.forEach((s, k) => {
      const m = decoded[k].get(name);
      const scale = s.alpha / s.rank;
      if (m) {
        if (m.inFeatures !== inFeatures || m.outFeatures !== outFeatures) {
          throw new Error(`LoRA module ${name}: round ${k + 1} has shape [${m.outFeatures}, ${m.inFeatures}] but an earlier round [${outFeatures}, ${inFeatures}]; the rounds were trained on different models.`);
        }
        for (let i = 0; i < s.rank * inFeatures; i++) loraA[offset * inFeatures + i] = scale * m.loraA[i];
        for (let o = 0; o < outFeatures; o++) for (let j = 0; j < s.rank; j++) loraB[o * rank + offset + j] = m.loraB[o * s.rank + j];
      }
      offset += s.rank;
    });
    modules.set(name, { inFeatures, outFeatures, rank, loraA, loraB });
  }
  const targetModules = [...new Set(snapshots.flatMap((s) => s.targetModules))];
  return { rank, alpha: rank, targetModules, modules };
}

/** Plain arrays (an export, an import) as a snapshot that a policy can merge or a record can hold. */
export function snapshotFromArrays(lora: { rank: number; alpha: number; targetModules: string[]; modules: Map<string, LoraModuleArrays> }): LoraSnapshot {
  const modules: LoraSnapshot['modules'] = {};
  for (const [name, m] of lora.modules) {
    if (m.rank !== lora.rank) throw new Error(`LoRA module ${name} has rank ${m.rank}, the adapter ${lora.rank}.`);
    modules[name] = encodeModule(m);
  }
  return { rank: lora.rank, alpha: lora.alpha, targetModules: lora.targetModules.length ? [...lora.targetModules] : Object.keys(modules), modules };
}
