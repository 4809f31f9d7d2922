/**
 * How the engine's failures reach the page: the error a request's input earns (RequestError, with
 * its kind), the texts of GPU failures, and the one `error` event a failed request ends with.
 */
import type { EngineErrorEvent, ErrorKind } from './protocol';
import { errorKind } from './runtime';

/** A request the engine cannot serve as sent; the message says what was wrong and what to do. */
export class RequestError extends Error {
  constructor(message: string, readonly kind: ErrorKind = 'prompt') {
    super(message);
    this.name = 'RequestError';
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function gpuErrorMessage(detail: string): string {
  return `A GPU command failed (${detail}), so this request's results cannot be trusted and were dropped; the policy is unchanged and nothing stored is lost. Try again; if it repeats, reload the page, or open it with ?backend=wasm to run on the CPU.`;
}

export function deviceLostMessage(detail: string): string {
  return `The GPU device was lost (${detail}). Nothing stored is lost: your pairs, judgments, rounds and adapters stay in this browser's storage. Reload the page to restart the engine, or open it with ?backend=wasm to run on the CPU instead.`;
}

/**
 * The error event of a failed request. After a lost device, or a GPU error during the request
 * (`gpuFailure`), the failure is that. Plain errors get `plainKind`: a round's or the critic's
 * input (nothing to train on, bad settings) is the person's to fix; a JavaScript TypeError and
 * the like are ours.
 */
export function errorEventOf(id: number, e: unknown, plainKind: ErrorKind, gpuFailure: string | null): EngineErrorEvent {
  if (gpuFailure) return { type: 'error', id, message: gpuFailure, kind: 'backend' };
  if (e instanceof RequestError) return { type: 'error', id, message: e.message, kind: e.kind };
  const kind = errorKind(e);
  const bug = e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError;
  return { type: 'error', id, message: messageOf(e), kind: kind === 'internal' && !bug ? plainKind : kind };
}
