// Messages between the page and the engine worker (DESIGN §1: UI → store → engine worker →
// tfjs; results come back as events). Plain types only: the page imports this file, so it must
// never pull in tfjs.

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

/** Who should act on an error: the person typing (`prompt`), the checkpoint (`model`), the
 *  browser/GPU (`backend`), or us (`internal`). */
export type ErrorKind = 'prompt' | 'model' | 'backend' | 'internal';

// ---------------------------------------------------------------------------------------------
// page → worker

/** Pick a backend (undefined: the runtime's own choice), then fetch and load the checkpoint. */
export interface InitRequest {
  type: 'init';
  backend?: BackendName;
  modelUrl: string;
  modelName: string;
}

/** Sample one video; answered by progress events, then one video or error event with this id. */
export interface GenerateRequest {
  type: 'generate';
  id: number;
  prompt: string;
  seed: number;
  steps?: number;
  guidance?: number;
}

export type EngineRequest = InitRequest | GenerateRequest;

// ---------------------------------------------------------------------------------------------
// worker → page

export interface ModelSummary {
  frames: number;
  height: number;
  width: number;
}

export interface ReadyEvent {
  type: 'ready';
  backend: BackendName;
  /** Human-readable adapter, e.g. "google swiftshader (fallback)" or "cpu". */
  adapter: string;
  modelName: string;
  config: ModelSummary;
  /** Whether the fused WGSL kernels run (webgpu) or the plain-tfjs reference paths, and why. */
  kernels: { fused: boolean; reason: string };
}

export interface ProgressEvent {
  type: 'progress';
  id: number;
  done: number;
  total: number;
}

/** RGB bytes, frame-major: data.length === frames · height · width · 3. */
export interface VideoEvent {
  type: 'video';
  id: number;
  frames: number;
  height: number;
  width: number;
  data: Uint8Array;
  /** Wall time of the sampling in the worker, ms. */
  milliseconds: number;
}

export interface EngineErrorEvent {
  type: 'error';
  /** The generate request that failed; absent for init and worker-level failures. */
  id?: number;
  message: string;
  kind: ErrorKind;
}

export type EngineEvent = ReadyEvent | ProgressEvent | VideoEvent | EngineErrorEvent;

/** Buffers to transfer (not copy) with an event: the video's pixels. */
export function transferablesOf(event: EngineEvent): Transferable[] {
  if (event.type !== 'video') return [];
  const { data } = event;
  // Transferring detaches the whole buffer, so only do it when the view owns all of it.
  const ownsBuffer = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return ownsBuffer && data.buffer instanceof ArrayBuffer ? [data.buffer] : [];
}
