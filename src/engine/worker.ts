// The Web Worker that owns tfjs (docs/architecture.md §1, §6): a thin shell around EngineSession
// (src/engine/session.ts), which queues the page's requests in arrival order (cancel jumps the
// queue) and answers with events; here they are posted with their videos' buffers transferred.
import { transferablesOf, type EngineEvent, type EngineRequest } from './protocol';
import { EngineSession } from './session';

// tsconfig carries both DOM and WebWorker libs; inside the worker the global is this scope.
const scope = self as unknown as DedicatedWorkerGlobalScope;

const session = new EngineSession();

function post(event: EngineEvent): void {
  scope.postMessage(event, transferablesOf(event));
}

scope.onmessage = (event: MessageEvent<EngineRequest>) => {
  void session.submit(event.data, post);
};

// Anything that escapes a handler still reaches the page as an event, not a silent hang.
scope.addEventListener('unhandledrejection', (event) => {
  const reason: unknown = event.reason;
  post({ type: 'error', message: `engine: ${reason instanceof Error ? reason.message : String(reason)}`, kind: 'internal' });
});
