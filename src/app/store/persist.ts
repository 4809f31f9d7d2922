// The project in IndexedDB (docs/architecture.md §6): one record per pair, judgment, round and video, so that
// storing a judgment writes a few hundred bytes, not the whole project. The key-value layer is
// injected: idb-keyval's custom store in the page, a Map in the unit tests (and in browsers
// without IndexedDB, where the session still works but does not survive a reload).
//
// Keys: `pair/<id>`, `judgment/<id>`, `round/<index>`, `video/<id>` (RGB uint8 bytes, frame-major;
// a first-frame image is [H, W, 3]), `ui` (tab and form settings), `compare/<round>` (Compare's
// videos and metrics of the policy after that round, with the sampler settings they were made
// with) and `blind` (a blind A/B test in progress).
import { createStore, delMany, entries, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import { checkJudgment, checkPair, checkRound, isObject, throwingCheck } from '../../prefs/check-records';
import type { Judgment, Pair, RoundRecord } from '../../prefs/types';
import { sameSetup, type BlindTest, type CompareResult, type CompareSetup } from './compare-slice';

export interface KeyValueStore {
  entries(): Promise<[string, unknown][]>;
  setMany(items: [string, unknown][]): Promise<void>;
  delMany(keys: string[]): Promise<void>;
  /**
   * The store becomes exactly `items`, atomically: when this rejects (storage full, a value that
   * cannot be stored, the tab closed mid-way) the store holds what it held before.
   */
  replaceAll(items: [string, unknown][]): Promise<void>;
}

/** One IndexedDB database per model: a tiny-model project and a small-model one never mix. */
export function idbKeyValueStore(modelName: string): KeyValueStore {
  const store: UseStore = createStore(`vpo-studio-${modelName}`, 'project');
  return {
    entries: () => entries<string, unknown>(store),
    setMany: (items) => setMany(items, store),
    delMany: (keys) => delMany(keys, store),
    // One readwrite transaction: IndexedDB commits the clear and every put together or, if any
    // put fails (QuotaExceededError) or the page goes away, none of them. A put that throws at
    // once (DataCloneError) would leave the transaction to commit what came before: abort it.
    replaceAll: (items) =>
      store('readwrite', (objects) => {
        try {
          objects.clear();
          for (const [key, value] of items) objects.put(value, key);
        } catch (e) {
          objects.transaction.abort();
          throw e;
        }
        return promisifyRequest(objects.transaction);
      }),
  };
}

/** A Map behind the same interface (tests; browsers without IndexedDB). */
export function memoryKeyValueStore(map = new Map<string, unknown>()): KeyValueStore & { map: Map<string, unknown> } {
  return {
    map,
    entries: async () => [...map.entries()],
    setMany: async (items) => {
      for (const [k, v] of items) map.set(k, v);
    },
    delMany: async (keys) => {
      for (const k of keys) map.delete(k);
    },
    // Checked before the swap, as IndexedDB's structured clone would refuse them.
    replaceAll: async (items) => {
      for (const [key, value] of items) {
        if (typeof value === 'function') throw new DOMException(`${key}: a function cannot be stored`, 'DataCloneError');
      }
      map.clear();
      for (const [k, v] of items) map.set(k, v);
    },
  };
}

const STORAGE_FULL_ADVICE =
  'Everything is still open on this page and nothing stored before is lost. Use Backup project (Export tab) to save the ' +
  'project to a file, then free space (site data of other pages, or old projects) and reload.';
const STORAGE_ERROR_ADVICE = 'Everything is still open on this page; use Backup project (Export tab) to keep a copy in a file.';
/** What a failed restore left: nothing (replaceAll is one transaction). */
const RESTORE_ADVICE =
  'Nothing was replaced: the project you had is still open here and still stored, and a reload shows it. ' +
  'Free space (site data of other pages, or old projects) and restore again.';

/** The browser refused to store more (QuotaExceededError). Nothing already stored is lost. */
export class StorageFullError extends Error {
  constructor(what: string, advice = STORAGE_FULL_ADVICE) {
    super(`Browser storage is full: ${what} could not be saved. ${advice}`);
    this.name = 'StorageFullError';
  }
}

/** Any other IndexedDB failure (private mode, a blocked database, a browser bug). */
export class StorageError extends Error {
  constructor(what: string, cause: unknown, advice = STORAGE_ERROR_ADVICE) {
    super(`Could not save ${what} in the browser's storage (IndexedDB): ${cause instanceof Error ? cause.message : String(cause)}. ${advice}`);
    this.name = 'StorageError';
  }
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** Compare's results as stored: all made with one sampler setup (new settings delete the old ones). */
export interface StoredCompare {
  setup: CompareSetup;
  results: CompareResult[];
  blind: BlindTest | null;
}

/** Everything a reload restores. `ui` is whatever the page stored (validated by the ui slice). */
export interface StoredProject {
  pairs: Pair[];
  judgments: Judgment[];
  rounds: RoundRecord[];
  videos: Record<string, Uint8Array>;
  ui: unknown;
  /** Absent when nothing was compared yet (and in backups, which do not carry Compare). */
  compare?: StoredCompare;
  /** Stored records load() could not read (left out of the project, kept in storage). */
  unreadable?: { key: string; problem: string }[];
}

const PAIR = 'pair/';
const JUDGMENT = 'judgment/';
const ROUND = 'round/';
const VIDEO = 'video/';
const UI = 'ui';
const COMPARE = 'compare/';
const BLIND = 'blind';

/** Ids such as `b3-p10` sort after `b3-p9`. */
const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id, 'en', { numeric: true });
const byTimeThenId = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : byId(a, b);

export const INTERRUPTED_NOTE = 'Interrupted: the page was closed or reloaded while the round trained; the policy did not change.';

export class ProjectStorage {
  constructor(private readonly kv: KeyValueStore) {}

  /**
   * The stored project, in a stable order (pairs and judgments by creation, rounds by index).
   * Every record is checked as a restored backup's are (prefs/check-records.ts); one that cannot
   * be read is left out of the project and listed in `unreadable` with its key and problem (it
   * stays in storage), never dropped silently.
   */
  async load(): Promise<StoredProject> {
    const project: StoredProject = { pairs: [], judgments: [], rounds: [], videos: {}, ui: null, unreadable: [] };
    const compared: { setup: CompareSetup; result: CompareResult }[] = [];
    let blind: BlindTest | null = null;
    const entries = await this.kv.entries();
    const readable = <T>(key: string, read: () => T): T | undefined => {
      try {
        return read();
      } catch (e) {
        project.unreadable!.push({ key, problem: (e as Error).message });
        return undefined;
      }
    };
    // 1. pairs first: a judgment must name a stored pair
    const pairIds = new Set<string>();
    for (const [key, value] of entries) {
      if (!key.startsWith(PAIR)) continue;
      const pair = readable(key, () => {
        checkPair(value, 'the record', throwingCheck);
        throwingCheck(key === PAIR + value.id, `it holds pair "${value.id}"`);
        return value;
      });
      if (pair) {
        project.pairs.push(pair);
        pairIds.add(pair.id);
      }
    }
    // 2. everything else
    for (const [key, value] of entries) {
      if (key.startsWith(PAIR)) continue;
      if (key.startsWith(JUDGMENT)) {
        const judgment = readable(key, () => {
          checkJudgment(value, 'the record', pairIds, throwingCheck, 'stored');
          throwingCheck(key === JUDGMENT + value.id, `it holds judgment "${value.id}"`);
          return value;
        });
        if (judgment) project.judgments.push(judgment);
      } else if (key.startsWith(ROUND)) {
        const round = readable(key, () => {
          checkRound(value, 'the record', throwingCheck);
          throwingCheck(key === ROUND + value.index, `it holds round ${value.index}`);
          return value;
        });
        if (round) project.rounds.push(round);
      } else if (key.startsWith(VIDEO)) {
        const bytes = readable(key, () => toBytes(value));
        if (bytes) project.videos[key.slice(VIDEO.length)] = bytes;
      } else if (key === UI) {
        project.ui = value; // validated field by field by the ui slice
      } else if (key.startsWith(COMPARE)) {
        const c = readable(key, () => {
          throwingCheck(isObject(value) && isObject(value.setup) && isObject(value.result) && Array.isArray(value.result.videos), 'it is not a Compare result with its setup');
          const result = value.result as unknown as CompareResult;
          return { setup: value.setup as unknown as CompareSetup, result: { ...result, videos: result.videos.map(toBytes) } };
        });
        if (c) compared.push(c);
      } else if (key === BLIND) {
        blind = readable(key, () => {
          throwingCheck(isObject(value) && Number.isInteger(value.round) && Array.isArray(value.order) && Array.isArray(value.scores), 'it is not a blind test');
          return value as unknown as BlindTest;
        }) ?? null;
      } else {
        project.unreadable!.push({ key, problem: 'no part of a project is stored under this key' });
      }
    }
    if (compared.length > 0) {
      const { setup } = compared[0];
      const results = compared
        .filter((c) => sameSetup(c.setup, setup))
        .map(({ result }) => result)
        .sort((a, b) => a.round - b.round);
      const blindRound = (blind as BlindTest | null)?.round;
      project.compare = { setup, results, blind: results.some((r) => r.round === blindRound) ? blind : null };
    }
    project.pairs.sort(byTimeThenId);
    project.judgments.sort(byTimeThenId);
    project.rounds.sort((a, b) => a.index - b.index);
    // A round stored as running was cut off by a reload: it never merged, say so.
    project.rounds = project.rounds.map((r) => (r.status === 'running' ? { ...r, status: 'failed', note: INTERRUPTED_NOTE } : r));
    return project;
  }

  /** Pairs with their videos (and first-frame images), in one transaction. */
  putPairs(pairs: readonly Pair[], videos: Record<string, Uint8Array>): Promise<void> {
    const items: [string, unknown][] = [
      ...Object.entries(videos).map(([id, bytes]): [string, unknown] => [VIDEO + id, bytes]),
      ...pairs.map((p): [string, unknown] => [PAIR + p.id, p]),
    ];
    return this.write(items, pairs.length === 1 ? `pair ${pairs[0].id}` : `${pairs.length} pairs`);
  }

  putVideos(videos: Record<string, Uint8Array>): Promise<void> {
    return this.write(Object.entries(videos).map(([id, bytes]) => [VIDEO + id, bytes]), `${Object.keys(videos).length} videos`);
  }

  putJudgments(judgments: readonly Judgment[]): Promise<void> {
    return this.write(judgments.map((j) => [JUDGMENT + j.id, j]), judgments.length === 1 ? `the judgment of pair ${judgments[0].pairId}` : `${judgments.length} judgments`);
  }

  deleteJudgments(ids: readonly string[]): Promise<void> {
    return this.remove(ids.map((id) => JUDGMENT + id), `the removal of ${ids.length} judgment(s)`);
  }

  putRound(record: RoundRecord): Promise<void> {
    return this.write([[ROUND + record.index, record]], `round ${record.index}`);
  }

  /** Compare's videos and metrics of the policy after `result.round` rounds. */
  putCompareResult(setup: CompareSetup, result: CompareResult): Promise<void> {
    return this.write([[COMPARE + result.round, { setup, result }]], `the Compare results of round ${result.round}`);
  }

  /** The blind A/B test in progress; null deletes it. */
  async putBlind(blind: BlindTest | null): Promise<void> {
    if (blind) return this.write([[BLIND, blind]], 'the blind test');
    await this.remove([BLIND], 'the removal of the blind test');
  }

  /** Forget Compare's results of these rounds and any blind test (new sampler settings). */
  deleteCompare(rounds: readonly number[]): Promise<void> {
    return this.remove([...rounds.map((r) => COMPARE + r), BLIND], 'the removal of old Compare results');
  }

  putUi(ui: unknown): Promise<void> {
    return this.write([[UI, ui]], 'the page settings');
  }

  /**
   * Restore: the stored project becomes exactly `project`, in one transaction. When that fails the
   * old project is still stored, whole (the error says so, naming `fileName`).
   */
  async replaceAll(project: Omit<StoredProject, 'ui'> & { ui?: unknown }, fileName = 'the backup'): Promise<void> {
    const items: [string, unknown][] = [
      ...Object.entries(project.videos).map(([id, bytes]): [string, unknown] => [VIDEO + id, bytes]),
      ...project.pairs.map((p): [string, unknown] => [PAIR + p.id, p]),
      ...project.judgments.map((j): [string, unknown] => [JUDGMENT + j.id, j]),
      ...project.rounds.map((r): [string, unknown] => [ROUND + r.index, r]),
    ];
    if (project.ui !== undefined) items.push([UI, project.ui]);
    try {
      await this.kv.replaceAll(items);
    } catch (e) {
      const what = `the project restored from ${fileName}`;
      throw isQuotaError(e) ? new StorageFullError(what, RESTORE_ADVICE) : new StorageError(what, e, RESTORE_ADVICE);
    }
  }

  private async remove(keys: string[], what: string): Promise<void> {
    try {
      await this.kv.delMany(keys);
    } catch (e) {
      throw new StorageError(what, e);
    }
  }

  private async write(items: [string, unknown][], what: string): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.kv.setMany(items);
    } catch (e) {
      throw isQuotaError(e) ? new StorageFullError(what) : new StorageError(what, e);
    }
  }
}

/** IndexedDB gives back what it was given, but be lenient with an ArrayBuffer or an array of bytes. */
function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Uint8Array.from(value as number[]);
  throw new Error(`it holds ${value === null ? 'null' : typeof value === 'object' ? `a ${value.constructor?.name ?? 'object'}` : `a ${typeof value}`}, not RGB bytes`);
}
