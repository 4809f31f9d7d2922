// The engine as the page sees it: whether it is up, what it runs on, which policy it holds, and
// the alerts that tell a person what went wrong and what to do.
import type { ErrorKind, ReadyEvent } from '../../engine/protocol';
import { EngineError } from '../engine-requests';
import { StorageError, StorageFullError } from './persist';
import type { SliceCreator } from './types';

export type EngineStatus = 'starting' | 'ready' | 'failed';

export type AlertKind = ErrorKind | 'storage' | 'input';

export interface Alert {
  id: number;
  kind: AlertKind;
  message: string;
  /** Offer Backup project beside the message (storage full, GPU lost: save the work first). */
  offerBackup: boolean;
}

export interface EngineSlice {
  engineStatus: EngineStatus;
  engineInfo: ReadyEvent | null;
  /** Rounds merged into the worker's policy (0 = the base model), as the worker last reported. */
  policyRound: number;
  /** Wall time of the last sampled video, ms (the header's generation time). */
  lastVideoMs: number | null;
  alerts: Alert[];
  /** Load the model in the worker; `onReady` runs once it is up (the page restores the policy there). */
  startEngine(init: { backend?: ReadyEvent['backend']; modelUrl: string; modelName: string }, onReady?: () => void): void;
  /** An alert for any error: engine errors keep their kind, storage errors offer a backup. */
  report(error: unknown, context?: string): void;
  pushAlert(kind: AlertKind, message: string, offerBackup?: boolean): void;
  dismissAlert(id: number): void;
  /** Alerts of these kinds go away (e.g. the prompt alert once the prompts are fixed). */
  clearAlerts(kinds: AlertKind[]): void;
}

let alertIds = 0;

/** Longest alert shown: a message quoting a 1 MB input was a 2 MB alert. */
export const MAX_ALERT_CHARS = 2000;

/** `message`, cut to MAX_ALERT_CHARS with a note of how much was left out. */
export function boundedAlert(message: string): string {
  if (message.length <= MAX_ALERT_CHARS) return message;
  const keep = MAX_ALERT_CHARS - 60; // room for the note
  return `${message.slice(0, keep)} … (${(message.length - keep).toLocaleString('en')} more characters not shown)`;
}

const LOST_DEVICE_ADVICE =
  'Nothing already stored is lost: use Backup project to save a copy, then reload the page (or open it with ?backend=wasm to train on the CPU).';

export const createEngineSlice: SliceCreator<EngineSlice> = (deps) => (set, get) => ({
  engineStatus: 'starting',
  engineInfo: null,
  policyRound: 0,
  lastVideoMs: null,
  alerts: [],

  startEngine(init, onReady) {
    deps.engine.onGlobal((event) => {
      if (event.type === 'ready') {
        set({ engineStatus: 'ready', engineInfo: event });
        onReady?.();
      } else if (event.type === 'error') {
        // Before `ready` an error means the engine could not start; after it, the worker or the
        // GPU failed under us (pending requests were failed by EngineRequests).
        if (get().engineStatus !== 'ready') set({ engineStatus: 'failed' });
        get().report(new EngineError(event.message, event.kind));
      }
    });
    deps.engine.init({ type: 'init', ...init });
  },

  report(error, context) {
    const prefix = context ? `${context}: ` : '';
    if (error instanceof EngineError) {
      if (error.kind === 'cancelled') return; // the person asked for it; the UI already shows it stopped
      if (error.kind === 'backend') {
        const advice = /backup/i.test(error.message) ? '' : ` ${LOST_DEVICE_ADVICE}`;
        get().pushAlert('backend', `${prefix}${error.message}${advice}`, true);
        return;
      }
      get().pushAlert(error.kind, prefix + error.message, false);
      return;
    }
    if (error instanceof StorageFullError || error instanceof StorageError) {
      get().pushAlert('storage', prefix + error.message, true);
      return;
    }
    get().pushAlert('internal', prefix + (error instanceof Error ? error.message : String(error)), false);
  },

  pushAlert(kind, full, offerBackup = false) {
    const message = boundedAlert(full);
    // The same message twice (e.g. storage full on every judgment) is shown once.
    if (get().alerts.some((a) => a.kind === kind && a.message === message)) return;
    set((s) => ({ alerts: [...s.alerts, { id: ++alertIds, kind, message, offerBackup }] }));
  },

  dismissAlert(id) {
    set((s) => ({ alerts: s.alerts.filter((a) => a.id !== id) }));
  },

  clearAlerts(kinds) {
    set((s) => ({ alerts: s.alerts.filter((a) => !kinds.includes(a.kind)) }));
  },
});
