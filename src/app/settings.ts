// Page settings from the URL: `?model=tiny|small` and `?backend=webgpu|wasm|cpu` (DESIGN §6).
// No tfjs here: the backend is only chosen by name and the engine worker does the rest.
import { BACKEND_NAMES, type BackendName } from '../engine/protocol';

export const MODEL_NAMES = ['tiny', 'small'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export const DEFAULT_MODEL: ModelName = 'small';

export interface PageSettings {
  modelName: ModelName;
  modelUrl: string;
  /** Forced by `?backend=`; undefined means "detect" (see chooseBackend). */
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

// The slice of WebGPU's API used here (TypeScript's DOM lib does not declare WebGPU yet).
interface AdapterLike {
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string };
  isFallbackAdapter?: boolean; // before Chrome 136 the flag lived on the adapter itself
}
interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}

/** A software adapter (SwiftShader, WARP, llvmpipe) runs WebGPU on the CPU, where the WASM
 *  backend is much faster. */
export function isSoftwareAdapter(adapter: AdapterLike): boolean {
  if (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) return true;
  const architecture = adapter.info?.architecture?.toLowerCase() ?? '';
  return ['swiftshader', 'llvmpipe', 'lavapipe', 'warp'].some((name) => architecture.includes(name));
}

/** DESIGN §6: WebGPU on a hardware adapter; on a fallback adapter or none, WASM. */
export async function chooseBackend(forced: BackendName | undefined): Promise<BackendName> {
  if (forced) return forced;
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return 'wasm';
  try {
    const adapter = await gpu.requestAdapter();
    return adapter && !isSoftwareAdapter(adapter) ? 'webgpu' : 'wasm';
  } catch {
    return 'wasm';
  }
}
