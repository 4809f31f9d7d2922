// Rank: two synchronised looping players, `Pair i of n`, the counts so far, and the keys of
// docs/architecture.md §6 (1/← left, 2/→ right, t tie, b both bad, s skip, z/Backspace undo). Sides are
// randomised per pair and recorded (leftWas). A pointwise thumbs mode feeds KTO. The critic can
// hint which video it prefers, with its confidence.
import { useEffect, useMemo, useRef } from 'react';
import { RANK_ACTIONS, keyLabel, rankActionForKey, rankActionQueue } from '../actions/rank-actions';
import { decisionCounts } from '../../prefs/judgments';
import { other } from '../../prefs/judgments';
import { hasCommandModifier, isTypingTarget } from '../lib/keys';
import { rankPosition, type RankMode } from '../lib/rank-queue';
import { useStudio, useStudioApi } from '../store/hooks';
import { KeyboardMap } from './HelpOverlay';
import { SyncedPlayers } from './SyncedPlayers';
import { PLAYER_SIZES } from '../lib/player';

const FPS_CHOICES = [2, 4, 8, 12, 16];

export function RankTab() {
  const store = useStudioApi();
  const pairs = useStudio((s) => s.pairs);
  const judgments = useStudio((s) => s.judgments);
  const videos = useStudio((s) => s.videos);
  const annotator = useStudio((s) => s.annotator);
  const setAnnotator = useStudio((s) => s.setAnnotator);
  const mode = useStudio((s) => s.rankMode);
  const setMode = useStudio((s) => s.setRankMode);
  const player = useStudio((s) => s.player);
  const updatePlayer = useStudio((s) => s.updatePlayer);
  const shape = useStudio((s) => s.engineInfo?.config ?? null);
  const hints = useStudio((s) => s.criticHints);
  const critic = useStudio((s) => s.critic);
  const askCritic = useStudio((s) => s.askCritic);
  const engineReady = useStudio((s) => s.engineStatus === 'ready');

  const position = useMemo(() => rankPosition(pairs, judgments, annotator, mode), [pairs, judgments, annotator, mode]);
  const counts = useMemo(() => decisionCounts(judgments.filter((j) => j.annotatorKind === 'human')), [judgments]);
  const unsaved = useStudio((s) => s.unsavedJudgments.length);
  const retryUnsaved = useStudio((s) => s.retryUnsaved);
  const shownAt = useRef(performance.now());
  const pair = position.pair;

  useEffect(() => {
    shownAt.current = performance.now();
  }, [pair?.id, position.video]);

  // The judgment is in IndexedDB before the store moves to the next pair (judgments slice); keys
  // pressed meanwhile queue behind it.
  const perform = useMemo(() => rankActionQueue(store, () => shownAt.current), [store]);

  // Keys act while the Rank tab is open and no field has the focus.
  const performRef = useRef(perform);
  performRef.current = perform;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (hasCommandModifier(event) || isTypingTarget(event.target, { tablistToo: true }) || store.getState().helpOpen) return;
      const action = rankActionForKey(event.key, store.getState().rankMode);
      if (!action) return;
      event.preventDefault();
      void performRef.current(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  const leftId = pair ? pair.videoIds[position.leftWas] : '';
  const rightId = pair ? pair.videoIds[other(position.leftWas)] : '';
  const playerVideos = useMemo(
    () => (pair && videos[leftId] && videos[rightId] ? [{ label: 'Left video', data: videos[leftId] }, { label: 'Right video', data: videos[rightId] }] : null),
    [pair, leftId, rightId, videos],
  );
  const hint = pair ? hints[pair.id] : undefined;

  return (
    <section className="rank" aria-label="Rank pairs">
      <div className="row toolbar">
        <label>
          Annotator
          <input type="text" value={annotator} onChange={(e) => setAnnotator(e.target.value)} size={14} />
        </label>
        <label>
          Mode
          <select value={mode} onChange={(e) => setMode(e.target.value as RankMode)}>
            <option value="pairwise">Pairwise (DPO)</option>
            <option value="pointwise">Thumbs up/down (KTO)</option>
          </select>
        </label>
        <label>
          Speed
          <select value={player.fps} onChange={(e) => updatePlayer({ fps: Number(e.target.value) })}>
            {FPS_CHOICES.map((f) => (
              <option key={f} value={f}>
                {f} fps
              </option>
            ))}
          </select>
        </label>
        <label>
          Size
          <select value={player.size} onChange={(e) => updatePlayer({ size: Number(e.target.value) })}>
            {PLAYER_SIZES.map((s) => (
              <option key={s} value={s}>
                {s} px
              </option>
            ))}
          </select>
        </label>
      </div>

      <p className="rank-position" data-testid="rank-position" aria-live="polite">
        {pair ? `Pair ${position.index + 1} of ${position.total}` : position.total === 0 ? 'No pairs yet: generate some on the Generate tab.' : `All ${position.total} pairs judged.`}
        {pair && mode === 'pointwise' && ` — thumb for the ${position.video === position.leftWas ? 'left' : 'right'} video`}
      </p>
      {unsaved > 0 && (
        <p className="error" data-testid="unsaved-judgments">
          {unsaved} judgment{unsaved === 1 ? ' is' : 's are'} not saved: the browser's storage refused {unsaved === 1 ? 'it' : 'them'}, so {unsaved === 1 ? 'it does' : 'they do'} not count and a reload would lose {unsaved === 1 ? 'it' : 'them'}.{' '}
          <button type="button" onClick={() => void retryUnsaved()}>
            Retry saving
          </button>
        </p>
      )}
      <p className="hint" data-testid="judged-counts">
        Judged: {position.judged} of {position.total} · left/right better {counts.left + counts.right} · tie {counts.tie} · both bad {counts['both-bad']} · skipped {counts.skip} · thumbs up {counts.thumbsUp} · thumbs down {counts.thumbsDown}
      </p>

      {pair && shape && playerVideos && (
        <div className={`rank-players ${mode === 'pointwise' ? (position.video === position.leftWas ? 'focus-left' : 'focus-right') : ''}`} data-pair={pair.id}>
          <p className="prompt-text">“{pair.prompt}”</p>
          <SyncedPlayers videos={playerVideos} shape={shape} fps={player.fps} size={player.size} controls resetKey={pair.id} />
        </div>
      )}

      {pair && (
        <div className="row">
          <button type="button" onClick={() => void askCritic([pair.id])} disabled={!engineReady || critic?.pending}>
            Ask the critic
          </button>
          <span className="hint" data-testid="critic-hint">
            {critic?.pending
              ? 'The critic is training on your judgments…'
              : hint
                ? `Critic prefers the ${hint.preferred === position.leftWas ? 'left' : 'right'} video (confidence ${(hint.confidence * 100).toFixed(0)} %` +
                  (critic && Number.isFinite(critic.agreement) ? `; agrees with ${(critic.agreement * 100).toFixed(0)} % of held-out judgments, trained on ${critic.trainedOn})` : `; trained on ${critic?.trainedOn ?? 0} judgments)`)
                : ''}
          </span>
        </div>
      )}

      <div className="row actions" role="group" aria-label="Judge">
        {RANK_ACTIONS.filter((a) => a.modes.includes(mode)).map((a) => (
          <button key={a.name} type="button" onClick={() => void perform(a)} disabled={a.needsPair && !pair} aria-keyshortcuts={a.keys.join(' ')}>
            {a.label} <kbd>{keyLabel(a)}</kbd>
          </button>
        ))}
      </div>

      <details className="keyboard" open>
        <summary>Keyboard map (press ? for help)</summary>
        <KeyboardMap />
      </details>
    </section>
  );
}
