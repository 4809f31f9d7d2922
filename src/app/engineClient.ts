// The page's handle on the engine worker. Views talk to the engine only through this (and,
// later, the store); the worker module is referenced by URL so tfjs never enters the page bundle.
import type { EngineEvent, EngineRequest } from '../engine/protocol';

export type EngineListener = (event: EngineEvent) => void;

export class EngineClient {
  private readonly worker: Worker;
  private readonly listeners = new Set<EngineListener>();

  constructor() {
    this.worker = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    this.worker.onmessage = (event: MessageEvent<EngineEvent>) => this.emit(event.data);
    // A worker that fails to load (syntax error, blocked by COEP) only reports here.
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.emit({ type: 'error', kind: 'internal', message: `The engine worker failed: ${event.message || 'it could not be loaded'} — reload the page; if it persists, check the console` });
    };
  }

  send(request: EngineRequest): void {
    this.worker.postMessage(request);
  }

  subscribe(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  terminate(): void {
    this.listeners.clear();
    this.worker.terminate();
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
