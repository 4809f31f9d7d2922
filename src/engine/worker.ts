// The Web Worker that owns tfjs (DESIGN §1, §6): the page posts EngineRequests, this worker
// answers with EngineEvents. Requests run one at a time in arrival order, so a generate sent
// right after init waits for the model instead of failing.
import { kernelsStatus } from '../kernels';
import { errorKind, generateVideo, initBackend, loadModelFromUrl, type LoadedModel } from './runtime';
import { transferablesOf, type EngineEvent, type EngineRequest, type GenerateRequest, type InitRequest } from './protocol';

// tsconfig carries both DOM and WebWorker libs; inside the worker the global is this scope.
const scope = self as unknown as DedicatedWorkerGlobalScope;

let model: LoadedModel | null = null;
let queue: Promise<void> = Promise.resolve();

function post(event: EngineEvent): void {
  scope.postMessage(event, transferablesOf(event));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Last path segment of a URL, for error messages that name the file. */
function fileNameOf(url: string): string {
  const path = url.split(/[?#]/)[0];
  return path.slice(path.lastIndexOf('/') + 1) || url;
}

async function handleInit(request: InitRequest): Promise<void> {
  model = null;
  try {
    const { backend, adapter } = await initBackend(request.backend);
    model = await loadModelFromUrl(request.modelUrl, fileNameOf(request.modelUrl));
    const { frames, height, width } = model.config;
    post({ type: 'ready', backend, adapter, modelName: model.name, config: { frames, height, width }, modelConfig: model.config, kernels: kernelsStatus() });
  } catch (e) {
    post({ type: 'error', message: messageOf(e), kind: errorKind(e) });
  }
}

async function handleGenerate(request: GenerateRequest): Promise<void> {
  const { id, prompt, seed, steps, guidance } = request;
  if (!model) {
    post({ type: 'error', id, message: 'No model is loaded: the engine failed to initialise; reload the page', kind: 'model' });
    return;
  }
  try {
    const onProgress = (done: number, total: number) => post({ type: 'progress', id, done, total });
    const started = performance.now();
    const data = await generateVideo(model, prompt, seed, { steps, guidance, onProgress });
    const { frames, height, width } = model.config;
    post({ type: 'video', id, frames, height, width, data, milliseconds: performance.now() - started });
  } catch (e) {
    post({ type: 'error', id, message: messageOf(e), kind: errorKind(e) });
  }
}

function handle(request: EngineRequest): Promise<void> {
  switch (request.type) {
    case 'init':
      return handleInit(request);
    case 'generate':
      return handleGenerate(request);
    case 'setPolicy':
    case 'runRound':
    case 'cancel':
    case 'critic':
      post({ type: 'error', id: request.id, message: `engine: "${request.type}" is not wired into the worker yet`, kind: 'internal' });
      return Promise.resolve();
    default: {
      const unknown: never = request;
      post({ type: 'error', message: `engine: unknown request ${JSON.stringify(unknown)}`, kind: 'internal' });
      return Promise.resolve();
    }
  }
}

scope.onmessage = (event: MessageEvent<EngineRequest>) => {
  const request = event.data;
  queue = queue.then(() => handle(request));
};

// Anything that escapes a handler still reaches the page as an event, not a silent hang.
scope.addEventListener('unhandledrejection', (event) => {
  post({ type: 'error', message: `engine: ${messageOf(event.reason)}`, kind: 'internal' });
});
