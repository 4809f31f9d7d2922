// The sampler's defaults, without tfjs: the page shows them in its forms (the page bundle must not
// import tfjs), the sampler uses them when a request leaves them out.

/** The sampler's ODE solvers (src/diffusion/sampler.ts): first-order Euler, or DPM-Solver++(2M). */
export const SAMPLERS = ['euler', 'dpm++2m'] as const;
export type SamplerName = (typeof SAMPLERS)[number];
export const DEFAULT_SAMPLER: SamplerName = 'euler';

/** How the studio names each solver. */
export const SAMPLER_LABELS: Record<SamplerName, string> = { euler: 'Euler', 'dpm++2m': 'DPM-Solver++(2M)' };

export function isSamplerName(v: unknown): v is SamplerName {
  return SAMPLERS.includes(v as SamplerName);
}

/** The solver of sampler settings that may leave it out (records made before it was a choice: the default). */
export function solverOf(s: { solver?: SamplerName }): SamplerName {
  return s.solver ?? DEFAULT_SAMPLER;
}

/** Solver steps from t = 1 to t = 0. */
export const DEFAULT_SAMPLE_STEPS = 24;
/** Classifier-free guidance scale (1 disables guidance). */
export const DEFAULT_GUIDANCE = 2;
