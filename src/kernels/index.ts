/**
 * The one place that chooses between the fused WGSL kernels and their plain-tfjs reference
 * paths (STYLE: fast path and slow path chosen in one place). The engine calls
 * `selectKernels(backend)` once the backend is up; the studio header shows `kernelsStatus()`.
 *
 *   attention        fusedAttention (src/kernels/fused-attention.ts)  | referenceAttention (model/attention.ts);
 *                    on wasm attention2d (model/attention-2d.ts): the reference's products as 2-D matmuls
 *   preference loss  fusedPreferenceTerms (src/kernels/preference-loss.ts) | preferenceTerms (diffusion/preference.ts)
 */
import { referenceAttention, setAttentionImplementation } from '../model/attention';
import { attention2d } from '../model/attention-2d';
import { preferenceTerms, type PreferenceBatch, type PreferenceLossOptions, type PreferenceTerms } from '../diffusion/preference';
import { fusedAttention } from './fused-attention';
import { fusedPreferenceTerms } from './preference-loss';

export { kernelDispatchCounts, resetKernelDispatchCounts } from './device';

export interface KernelsStatus {
  /** True when the model's attention and the preference loss run the fused kernels. */
  fused: boolean;
  /** Why not, when not (for the header's tooltip and logs). */
  reason: string;
}

let status: KernelsStatus = { fused: false, reason: 'no backend selected yet' };

/**
 * Fused kernels on the webgpu backend, the reference paths elsewhere (on wasm, attention as 2-D
 * matmuls: tfjs-wasm's fast matmuls); `fused: false` forces the reference (A/B comparisons,
 * `?kernels=reference`). The fused and 2-D paths still fall back per call for inputs they do not
 * take (e.g. a head dimension above 64; blocks too small for a matmul call each).
 */
export function selectKernels(backend: string, opts: { fused?: boolean } = {}): KernelsStatus {
  const wanted = opts.fused ?? true;
  const fused = wanted && backend === 'webgpu';
  setAttentionImplementation(fused ? fusedAttention : wanted && backend === 'wasm' ? attention2d : referenceAttention);
  status = { fused, reason: fused ? 'webgpu' : !wanted ? 'reference path requested' : `the ${backend} backend has no WGSL kernels` };
  return status;
}

export function kernelsStatus(): KernelsStatus {
  return status;
}

/** The preference loss (DPO or KTO) with the selected implementation. */
export function preferenceLoss(batch: PreferenceBatch, opts: PreferenceLossOptions): PreferenceTerms {
  return status.fused ? fusedPreferenceTerms(batch, opts) : preferenceTerms(batch, opts);
}
