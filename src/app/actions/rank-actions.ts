// The Rank tab's actions, each with its keys (excalidraw-style registry: name, keys, perform).
// The tab's key handler and its buttons both go through here, and the help overlay lists them.
import type { StoreApi } from 'zustand/vanilla';
import type { Decision } from '../../prefs/types';
import { rankPosition, type RankMode, type RankPosition } from '../lib/rank-queue';
import type { Studio } from '../store';

export interface RankContext {
  store: StoreApi<Studio>;
  position: RankPosition;
  /** performance.now() when the current pair (or video) appeared: the judgment's response time. */
  shownAt: number;
}

export interface RankAction {
  name: string;
  /** Button text and help line. */
  label: string;
  /** KeyboardEvent.key values; letters match either case. */
  keys: string[];
  modes: RankMode[];
  /** Whether it needs a pair on screen (undo does not). */
  needsPair: boolean;
  perform(ctx: RankContext): Promise<unknown>;
}

const decide = (decision: Decision) => (ctx: RankContext) =>
  ctx.store.getState().judgePair(ctx.position.pair!, decision, ctx.position.leftWas, performance.now() - ctx.shownAt);

const thumb = (desirable: boolean) => (ctx: RankContext) =>
  ctx.store.getState().judgeVideo(ctx.position.pair!, ctx.position.video, desirable, performance.now() - ctx.shownAt);

export const RANK_ACTIONS: readonly RankAction[] = [
  { name: 'left', label: 'Left is better', keys: ['1', 'ArrowLeft'], modes: ['pairwise'], needsPair: true, perform: decide('left') },
  { name: 'right', label: 'Right is better', keys: ['2', 'ArrowRight'], modes: ['pairwise'], needsPair: true, perform: decide('right') },
  { name: 'tie', label: 'Tie', keys: ['t'], modes: ['pairwise'], needsPair: true, perform: decide('tie') },
  { name: 'both-bad', label: 'Both bad', keys: ['b'], modes: ['pairwise'], needsPair: true, perform: decide('both-bad') },
  { name: 'thumbs-up', label: 'Good video', keys: ['u', 'ArrowUp'], modes: ['pointwise'], needsPair: true, perform: thumb(true) },
  { name: 'thumbs-down', label: 'Bad video', keys: ['d', 'ArrowDown'], modes: ['pointwise'], needsPair: true, perform: thumb(false) },
  // A skip is recorded (the pair is not shown again) but never trains anything.
  { name: 'skip', label: 'Skip', keys: ['s'], modes: ['pairwise', 'pointwise'], needsPair: true, perform: decide('skip') },
  { name: 'undo', label: 'Undo', keys: ['z', 'Backspace'], modes: ['pairwise', 'pointwise'], needsPair: false, perform: (ctx) => ctx.store.getState().undoLast() },
];

export function rankActionForKey(key: string, mode: RankMode): RankAction | undefined {
  const k = key.length === 1 ? key.toLowerCase() : key;
  return RANK_ACTIONS.find((a) => a.modes.includes(mode) && a.keys.includes(k));
}

/** "1 / ←" for the keyboard map. */
export function keyLabel(action: RankAction): string {
  const names: Record<string, string> = { ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓', Backspace: 'Backspace' };
  return action.keys.map((k) => names[k] ?? k).join(' / ');
}

/**
 * Performs rank actions one after another in the order they were asked for: a key pressed while
 * a judgment is being stored waits for it and then acts on the page as it is then (the next
 * pair, or the undo of the judgment just stored), never dropped — a fast annotator pressing `1`
 * then `z` gets the undo. `shownAt` is read when the action runs.
 */
export function rankActionQueue(store: StoreApi<Studio>, shownAt: () => number): (action: RankAction) => Promise<void> {
  let tail: Promise<void> = Promise.resolve();
  const run = async (action: RankAction) => {
    const s = store.getState();
    const position = rankPosition(s.pairs, s.judgments, s.annotator, s.rankMode);
    if (action.needsPair && !position.pair) return;
    await action.perform({ store, position, shownAt: shownAt() });
  };
  return (action) => {
    // A failed action has already alerted (the slices report their errors); the next one runs.
    tail = tail.then(() => run(action)).catch(() => undefined);
    return tail;
  };
}
