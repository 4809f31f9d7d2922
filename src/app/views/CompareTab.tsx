// Compare: base vs round k on held-out prompts with the same seeds (world/held-out.ts), the world
// metrics of every round as a chart, and a blind A/B test — sides hidden and randomised — that
// measures a person's win rate of round k against the base with a 95 % interval.
import { SAMPLER_LABELS } from '../../diffusion/sampler-defaults';
import { useEffect, useMemo, useRef } from 'react';
import { completedRounds } from '../../prefs/rounds';
import type { MetricKey } from '../../world/metrics';
import { builtinTaste } from '../../world/tastes';
import { videoFromUint8 } from '../../world/video';
import { ProgressBar, type ProgressHandle } from '../ProgressBar';
import { rankActionForKey } from '../actions/rank-actions';
import { hasCommandModifier, isTypingTarget } from '../lib/keys';
import { blindWinRate, compareItems } from '../store/compare-slice';
import { useJobProgress, useStudio, useStudioApi } from '../store/hooks';
import { LineChart } from './LineChart';
import { SyncedPlayers } from './SyncedPlayers';

const CHART_METRICS: { key: MetricKey; label: string; colour: string }[] = [
  { key: 'colourCorrect', label: 'colour accuracy', colour: '#c0392b' },
  { key: 'shapeCorrect', label: 'shape accuracy', colour: '#2980b9' },
  { key: 'actionCorrect', label: 'action accuracy', colour: '#27ae60' },
  { key: 'objectFound', label: 'object found', colour: '#8e44ad' },
  { key: 'subjectConsistency', label: 'subject consistency', colour: '#d35400' },
  { key: 'motionSmoothness', label: 'motion smoothness', colour: '#16a085' },
  { key: 'temporalFlicker', label: 'temporal flicker (lower is better)', colour: '#7f8c8d' },
];

const pct = (v: number) => `${(v * 100).toFixed(0)} %`;

export function CompareTab() {
  const store = useStudioApi();
  const form = useStudio((s) => s.compareForm);
  const update = useStudio((s) => s.updateCompareForm);
  const steps = useStudio((s) => s.generateForm.steps);
  const guidance = useStudio((s) => s.generateForm.guidance);
  const solver = useStudio((s) => s.generateForm.solver);
  const rounds = useStudio((s) => s.rounds);
  const results = useStudio((s) => s.compareResults);
  const running = useStudio((s) => s.compareProgress !== null);
  const evaluate = useStudio((s) => s.evaluateRounds);
  const cancel = useStudio((s) => s.cancelCompare);
  const blind = useStudio((s) => s.blind);
  const startBlind = useStudio((s) => s.startBlind);
  const judgeBlind = useStudio((s) => s.judgeBlind);
  const endBlind = useStudio((s) => s.endBlind);
  const shape = useStudio((s) => s.engineInfo?.config ?? null);
  const ready = useStudio((s) => s.engineStatus === 'ready');
  const player = useStudio((s) => s.player);

  const roundCount = completedRounds(rounds).length;
  const k = Math.min(Math.max(1, form.round), Math.max(1, roundCount));
  const items = useMemo(() => compareItems(form.count), [form.count]);
  const evaluated = Object.keys(results).map(Number).sort((a, b) => a - b);

  const progress = useRef<ProgressHandle>(null);
  useJobProgress((s) => s.compareProgress, progress);

  // Blind test keys: the Rank tab's 1/← left, 2/→ right, t tie (only while a blind test is open).
  useEffect(() => {
    if (!blind) return;
    const onKey = (event: KeyboardEvent) => {
      if (hasCommandModifier(event) || isTypingTarget(event.target, { tablistToo: true }) || store.getState().helpOpen) return;
      const name = rankActionForKey(event.key, 'pairwise')?.name;
      if (name !== 'left' && name !== 'right' && name !== 'tie') return;
      event.preventDefault();
      store.getState().judgeBlind(name);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [blind !== null, store]); // eslint-disable-line react-hooks/exhaustive-deps

  // With a simulated person, each round's mean score by its taste, beside the world metrics.
  const tasteName = useStudio((s) => (s.trainForm.labeller === 'simulated' ? s.trainForm.taste : null));
  const tasteScores = useMemo(() => {
    if (!tasteName || !shape) return null;
    const taste = builtinTaste(tasteName);
    const scores: Record<number, number> = {};
    for (const r of evaluated) {
      const videos = results[r].videos;
      scores[r] = videos.reduce((a, bytes, i) => a + taste.score(videoFromUint8(bytes, shape), items[i].prompt), 0) / videos.length;
    }
    return scores;
  }, [tasteName, shape, results, items]); // eslint-disable-line react-hooks/exhaustive-deps

  const roundsToEvaluate = Array.from({ length: roundCount + 1 }, (_, r) => r);
  const chartValues = CHART_METRICS.map((m) => roundsToEvaluate.map((r) => results[r]?.aggregate[m.key] ?? NaN));
  const base = results[0];
  const other = results[k];

  const blindItem = blind && blind.scores.length < blind.order.length ? blind.order[blind.scores.length] : null;
  const blindVideos =
    blindItem && base && results[blind!.round]
      ? (() => {
          const roundVideo = results[blind!.round].videos[blindItem.item];
          const baseVideo = base.videos[blindItem.item];
          const [l, r] = blindItem.roundOnLeft ? [roundVideo, baseVideo] : [baseVideo, roundVideo];
          return [{ label: 'Left video', data: l }, { label: 'Right video', data: r }];
        })()
      : null;
  const win = blind ? blindWinRate(blind) : null;

  return (
    <section className="compare" aria-label="Compare rounds">
      <div className="row">
        <label>
          Held-out prompts
          <input type="number" min={1} max={64} step={1} value={form.count} onChange={(e) => update({ count: Math.max(1, Math.min(64, Math.floor(Number(e.target.value) || 1))) })} />
        </label>
        <label>
          Round
          <select value={k} onChange={(e) => update({ round: Number(e.target.value) })} disabled={roundCount === 0}>
            {roundCount === 0 ? (
              <option value={1}>no rounds yet</option>
            ) : (
              Array.from({ length: roundCount }, (_, i) => i + 1).map((r) => (
                <option key={r} value={r}>
                  Round {r}
                </option>
              ))
            )}
          </select>
        </label>
        <button type="button" disabled={!ready || running} onClick={() => void evaluate(roundsToEvaluate, { count: form.count, steps, guidance, solver })}>
          Evaluate base and {roundCount === 0 ? 'no rounds' : roundCount === 1 ? 'round 1' : `rounds 1–${roundCount}`}
        </button>
        {running && (
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        )}
      </div>
      <p className="hint">
        Same held-out prompts (combinations never trained on) and seeds for every round; {steps} sampler steps ({SAMPLER_LABELS[solver]}), guidance {guidance} (from the Generate tab).
      </p>
      <ProgressBar ref={progress} label="Compare progress" />

      <LineChart title="World metrics per round" series={CHART_METRICS.map((m) => ({ label: m.label, colour: m.colour }))} values={chartValues} xLabel="round" domain={[0, 1]} />
      {evaluated.length > 0 && (
        <table className="metrics-table">
          <caption>Mean world metrics over {items.length} held-out videos</caption>
          <thead>
            <tr>
              <th scope="col">metric</th>
              {evaluated.map((r) => (
                <th key={r} scope="col">
                  {r === 0 ? 'base' : `Round ${r}`}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {CHART_METRICS.map((m) => (
              <tr key={m.key}>
                <th scope="row">{m.label}</th>
                {evaluated.map((r) => (
                  <td key={r}>{results[r].aggregate[m.key].toFixed(3)}</td>
                ))}
              </tr>
            ))}
            {tasteName && tasteScores && (
              <tr data-testid="taste-row">
                <th scope="row" title={builtinTaste(tasteName).description}>
                  taste: {tasteName} (the Train tab's simulated person)
                </th>
                {evaluated.map((r) => (
                  <td key={r}>{tasteScores[r]?.toPrecision(3) ?? '–'}</td>
                ))}
              </tr>
            )}
          </tbody>
        </table>
      )}

      {base && other && shape && !blind && (
        <div className="compare-grid">
          <h2 className="section-title">Base vs Round {k} (same seeds)</h2>
          {items.map((item, i) => (
            <div key={item.seed} className="compare-item">
              <p className="prompt-text">
                “{item.prompt}” · seed {item.seed}
              </p>
              <SyncedPlayers videos={[{ label: `Base, ${item.prompt}`, caption: 'Base', data: base.videos[i] }, { label: `Round ${k}, ${item.prompt}`, caption: `Round ${k}`, data: other.videos[i] }]} shape={shape} fps={player.fps} size={128} />
            </div>
          ))}
        </div>
      )}

      <h2 className="section-title">Blind A/B test</h2>
      {!blind ? (
        <div className="row">
          <button type="button" onClick={() => startBlind(k)} disabled={!base || !other}>
            Start blind test of Round {k} vs base
          </button>
          {(!base || !other) && <span className="hint">Evaluate first: the test shows the held-out videos sampled above.</span>}
        </div>
      ) : (
        <div className="blind">
          {blindVideos && shape ? (
            <>
              <p data-testid="blind-position">
                Comparison {blind.scores.length + 1} of {blind.order.length}: which video is better? (1 / ← left, 2 / → right, t tie)
              </p>
              <SyncedPlayers videos={blindVideos} shape={shape} fps={player.fps} size={player.size} resetKey={String(blind.scores.length)} />
              <div className="row" role="group" aria-label="Blind judgment">
                <button type="button" onClick={() => judgeBlind('left')}>
                  Left is better
                </button>
                <button type="button" onClick={() => judgeBlind('right')}>
                  Right is better
                </button>
                <button type="button" onClick={() => judgeBlind('tie')}>
                  Tie
                </button>
              </div>
            </>
          ) : null}
          {win && win.n > 0 && (
            <p data-testid="blind-result" aria-live="polite">
              Round {blind.round} wins {pct(win.mean)} of {win.n} comparisons against the base (95 % interval {pct(win.ci[0])}–{pct(win.ci[1])}; a tie counts half).
            </p>
          )}
          <button type="button" onClick={endBlind}>
            {blindItem ? 'Stop blind test' : 'Close blind test'}
          </button>
        </div>
      )}
    </section>
  );
}
