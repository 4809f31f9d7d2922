// Requests to the engine worker as promises: every request but init and cancel gets an id, its
// intermediate events (progress, roundStep, onlineData) go to a callback, and its one final event
// (protocol.ts) settles the promise — an `error` event rejects it with an EngineError that keeps
// the error's kind. Events without an id (ready, an init failure) go to the global listeners.
import type { EngineEvent, EngineRequest, ErrorKind } from '../engine/protocol';

/** What the store needs of the worker: the EngineClient in the page, a fake in the unit tests. */
export interface EngineChannel {
  send(request: EngineRequest): void;
  subscribe(listener: (event: EngineEvent) => void): () => void;
}

export class EngineError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

type FinalType = 'video' | 'policy' | 'roundDone' | 'criticHints';
export type FinalEvent<T extends FinalType> = Extract<EngineEvent, { type: T }>;
type RequestWithId = Exclude<EngineRequest, { type: 'init' } | { type: 'cancel' }>;
/** The final event each request type is answered by. */
type AnswerOf<R extends RequestWithId['type']> = R extends 'generate' ? 'video' : R extends 'setPolicy' ? 'policy' : R extends 'runRound' ? 'roundDone' : 'criticHints';

/** Each request type's fields without the id (the id is assigned here). */
type RequestBody = { [R in RequestWithId as R['type']]: Omit<R, 'id'> };

const FINAL_TYPES: ReadonlySet<EngineEvent['type']> = new Set(['video', 'policy', 'roundDone', 'criticHints', 'error']);

interface Pending {
  onEvent?: (event: EngineEvent) => void;
  resolve: (event: EngineEvent) => void;
  reject: (error: EngineError) => void;
}

export class EngineRequests {
  private lastId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly globalListeners = new Set<(event: EngineEvent) => void>();

  constructor(private readonly channel: EngineChannel) {
    channel.subscribe((event) => this.route(event));
  }

  init(request: Extract<EngineRequest, { type: 'init' }>): void {
    this.channel.send(request);
  }

  /**
   * Send a request; `started` (called at once) learns its id, e.g. to cancel it later.
   * Resolves with the final event, rejects with an EngineError.
   */
  request<T extends RequestWithId['type']>(
    request: RequestBody[T] & { type: T },
    opts: { onEvent?: (event: EngineEvent) => void; started?: (id: number) => void } = {},
  ): Promise<FinalEvent<AnswerOf<T>>> {
    const id = ++this.lastId;
    opts.started?.(id);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { onEvent: opts.onEvent, resolve: resolve as (e: EngineEvent) => void, reject });
      this.channel.send({ ...request, id } as unknown as EngineRequest);
    });
  }

  cancel(id: number): void {
    this.channel.send({ type: 'cancel', id });
  }

  /** Events that belong to no request: `ready`, and errors of init or of the worker itself. */
  onGlobal(listener: (event: EngineEvent) => void): () => void {
    this.globalListeners.add(listener);
    return () => this.globalListeners.delete(listener);
  }

  private route(event: EngineEvent): void {
    const id = 'id' in event ? event.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending) {
      // An error that names no request (init failed, the worker died, the GPU device was lost)
      // means no answer is coming for anything still pending: fail those too.
      if (event.type === 'error' && id === undefined) this.failAll(new EngineError(event.message, event.kind));
      for (const listener of this.globalListeners) listener(event);
      return;
    }
    if (!FINAL_TYPES.has(event.type)) {
      pending.onEvent?.(event);
      return;
    }
    this.pending.delete(id!);
    if (event.type === 'error') pending.reject(new EngineError(event.message, event.kind));
    else pending.resolve(event);
  }

  private failAll(error: EngineError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }
}
