// Page settings from the URL: `?model=tiny|small|small-p8` and `?backend=webgpu|wasm|cpu` (docs/architecture.md §6).
// No tfjs here: a backend is only named; the engine worker detects and starts it.
import { BACKEND_NAMES, type BackendName } from '../engine/protocol';

/** Shipped in public/models/NAME.safetensors. `small-p8` (8×8 patches) samples 2–3× faster
 *  than `small` on a CPU, and draws circles and squares alike (README, "Models and what they score"). */
export const MODEL_NAMES = ['tiny', 'small', 'small-p8'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export const DEFAULT_MODEL: ModelName = 'small';

export interface PageSettings {
  modelName: ModelName;
  modelUrl: string;
  /** Forced by `?backend=`; undefined lets the engine choose (WebGPU on a hardware adapter,
   *  else WASM: src/engine/runtime.ts initBackend). */
  forcedBackend: BackendName | undefined;
}

export function modelUrlFor(name: ModelName): string {
  return `${import.meta.env.BASE_URL}models/${name}.safetensors`;
}

/** Throws an Error a person can act on when a parameter has an unknown value. */
export function readSettings(search: string): PageSettings {
  const params = new URLSearchParams(search);
  const model = params.get('model') ?? DEFAULT_MODEL;
  if (!(MODEL_NAMES as readonly string[]).includes(model)) {
    throw new Error(`Unknown model "${model}" in the URL — use ?model=${MODEL_NAMES.join(' or ?model=')}`);
  }
  const backend = params.get('backend');
  if (backend !== null && !(BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new Error(`Unknown backend "${backend}" in the URL — use ?backend=${BACKEND_NAMES.join(', ?backend=')}, or leave it out to choose automatically`);
  }
  return {
    modelName: model as ModelName,
    modelUrl: modelUrlFor(model as ModelName),
    forcedBackend: (backend ?? undefined) as BackendName | undefined,
  };
}
