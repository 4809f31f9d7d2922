// Train: a round's hyper-parameters (defaults from prefs/rounds.ts), Run round / Cancel, progress
// with ETA, live charts of loss, implicit accuracy and reward margin — pushed through chart
// handles from a transient subscription, so a step does not re-render the tab — and the history.
import { useMemo, useRef, type FormEvent } from 'react';
import { summariseMetrics, unusedJudgments } from '../../prefs/rounds';
import type { RoundMethod, RoundRecord } from '../../prefs/types';
import { checkPrompts } from '../lib/prompts';
import { BUILTIN_TASTES } from '../../world/tastes';
import { methodDefaults } from '../lib/train-form';
import { ProgressBar, type ProgressHandle } from '../ProgressBar';
import { useStudio, useTransient } from '../store/hooks';
import { trainingExamples } from '../store/rounds-slice';
import { LineChart, type LineChartHandle } from './LineChart';

const METHODS: { value: RoundMethod; label: string }[] = [
  { value: 'dpo', label: 'DPO (Diffusion-DPO)' },
  { value: 'kto', label: 'KTO (Diffusion-KTO)' },
  { value: 'online', label: 'Online (OnlineVPO: critic or simulated labels)' },
];

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : '–');

function NumberField({ label, value, onChange, step, min, max, title }: { label: string; value: number; onChange: (v: number) => void; step?: number | 'any'; min?: number; max?: number; title?: string }) {
  return (
    <label className="stacked" title={title}>
      {label}
      <input type="number" value={Number.isFinite(value) ? value : ''} step={step ?? 'any'} min={min} max={max} onChange={(e) => onChange(e.target.value === '' ? NaN : Number(e.target.value))} />
    </label>
  );
}

export function roundSummary(r: RoundRecord): string {
  if (r.importedFrom) return `imported from ${r.importedFrom} · rank ${r.lora?.rank ?? '?'} · alpha ${r.lora?.alpha ?? '?'}`;
  const m = summariseMetrics(r.metrics);
  const h = r.hyper;
  const parts = [
    r.status,
    `${h.method.toUpperCase()} β ${fmt(h.beta)} · lr ${fmt(h.lr)} · ${r.metrics.length}/${h.steps} steps · rank ${h.lora.rank}${h.tMean ? ` · t mean ${fmt(h.tMean)}` : ''}`,
    `${r.examples} examples`,
    `loss ${fmt(m.loss)} · implicit accuracy ${fmt(m.implicitAccuracy)} · reward margin ${fmt(m.rewardMargin)}`,
    `${fmt(r.timings.seconds, 3)} s`,
  ];
  if (r.note && r.status !== 'completed') parts.push(r.note);
  return parts.join(' · ');
}

export function TrainTab() {
  const form = useStudio((s) => s.trainForm);
  const update = useStudio((s) => s.updateTrainForm);
  const runRound = useStudio((s) => s.runRound);
  const cancelRound = useStudio((s) => s.cancelRound);
  const training = useStudio((s) => s.liveRound !== null);
  const cancelling = useStudio((s) => s.liveRound?.cancelling === true);
  const ready = useStudio((s) => s.engineStatus === 'ready');
  const rounds = useStudio((s) => s.rounds);
  const pairs = useStudio((s) => s.pairs);
  const judgments = useStudio((s) => s.judgments);
  const promptsText = useStudio((s) => s.generateForm.promptsText);

  const examples = useMemo(() => trainingExamples(form.method, pairs, judgments, rounds), [form.method, pairs, judgments, rounds]);
  const unused = useMemo(() => unusedJudgments(judgments, rounds).length, [judgments, rounds]);

  const progress = useRef<ProgressHandle>(null);
  const lossChart = useRef<LineChartHandle>(null);
  const accuracyChart = useRef<LineChartHandle>(null);
  const marginChart = useRef<LineChartHandle>(null);
  // The round that trains now, else the last one in the history (the charts keep showing it,
  // also after a tab switch or a reload).
  useTransient(
    (s) => s.liveRound ?? s.rounds.at(-1) ?? null,
    (round) => {
      if (!round) return;
      const m = round.metrics;
      const total = 'total' in round ? round.total : round.hyper.steps;
      const elapsed = 'startedAt' in round && typeof round.startedAt === 'number' ? performance.now() - round.startedAt : undefined;
      progress.current?.set(m.length, total, elapsed);
      lossChart.current?.update([m.map((x) => x.loss), m.map((x) => x.preferenceLoss)], total);
      accuracyChart.current?.update([m.map((x) => x.implicitAccuracy)], total);
      marginChart.current?.update([m.map((x) => x.rewardMargin)], total);
    },
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    progress.current?.set(0, form.steps, 0);
    await runRound(form, checkPrompts(promptsText).prompts);
  };

  const setMethod = (method: RoundMethod) => update({ method, ...methodDefaults(method) });
  return (
    <form className="tab-form" onSubmit={submit} aria-label="Train a round">
      <div className="grid-fields">
        <label className="stacked">
          Method
          <select value={form.method} onChange={(e) => setMethod(e.target.value as RoundMethod)}>
            {METHODS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <NumberField label="Beta (β)" value={form.beta} onChange={(beta) => update({ beta })} min={0} />
        <NumberField label="Learning rate" value={form.lr} onChange={(lr) => update({ lr })} min={0} />
        <NumberField label="Steps" value={form.steps} onChange={(steps) => update({ steps })} step={1} min={1} />
        <NumberField label="LoRA rank" value={form.rank} onChange={(rank) => update({ rank })} step={1} min={1} />
        <NumberField label="LoRA alpha" value={form.alpha} onChange={(alpha) => update({ alpha })} min={0} />
        <label className="stacked">
          Reference
          <select value={form.reference} onChange={(e) => update({ reference: e.target.value as 'previous' | 'base' })}>
            <option value="previous">Previous round</option>
            <option value="base">Base model</option>
          </select>
        </label>
        <NumberField label="SFT weight" value={form.sftWeight} onChange={(sftWeight) => update({ sftWeight })} min={0} />
        <NumberField
          label="Noise focus (t mean)"
          title="Mean of the logit-normal noise level the steps train at: 0 = all levels, 1 = mostly high noise, where layout and motion are decided"
          value={form.tMean}
          onChange={(tMean) => update({ tMean })}
          min={-3}
          max={3}
        />
      </div>
      {form.method === 'online' && (
        <fieldset className="grid-fields">
          <legend>Online round</legend>
          <label className="stacked">
            Labeller
            <select value={form.labeller} onChange={(e) => update({ labeller: e.target.value as 'critic' | 'simulated' })}>
              <option value="simulated">Simulated person (a taste)</option>
              <option value="critic">Critic (trained on your judgments)</option>
            </select>
          </label>
          {form.labeller === 'simulated' && (
            <label className="stacked" title={BUILTIN_TASTES.find((t) => t.name === form.taste)?.description}>
              Taste
              <select value={form.taste} onChange={(e) => update({ taste: e.target.value })}>
                {BUILTIN_TASTES.map((t) => (
                  <option key={t.name} value={t.name} title={t.description}>
                    {t.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <NumberField label="Pairs per prompt (online)" value={form.onlinePairsPerPrompt} onChange={(onlinePairsPerPrompt) => update({ onlinePairsPerPrompt })} step={1} min={1} />
          <NumberField label="Confidence threshold" value={form.confidenceThreshold} onChange={(confidenceThreshold) => update({ confidenceThreshold })} min={0.5} max={1} />
          <p className="hint">Samples pairs for the Generate tab's prompts from the current policy; labels below the threshold are left for people.</p>
        </fieldset>
      )}
      <p className="hint" data-testid="training-data">
        {form.method === 'online'
          ? `${unused} judgments not yet trained on; the round makes its own pairs.`
          : `${examples.count} ${form.method === 'dpo' ? 'preference pairs' : 'KTO examples'} from ${unused} judgments not yet trained on.`}
      </p>
      <div className="row">
        <button type="submit" disabled={!ready || training}>
          Run round
        </button>
        <button type="button" onClick={cancelRound} disabled={!training || cancelling}>
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <ProgressBar ref={progress} label="Training progress" />
      <div className="charts">
        <LineChart ref={lossChart} title="Loss" series={[{ label: 'loss', colour: '#d35400' }, { label: 'preference loss', colour: '#2e86c1' }]} xLabel="step" />
        <LineChart ref={accuracyChart} title="Implicit accuracy" series={[{ label: 'accuracy', colour: '#27ae60' }]} xLabel="step" domain={[0, 1]} />
        <LineChart ref={marginChart} title="Reward margin" series={[{ label: 'margin', colour: '#8e44ad' }]} xLabel="step" />
      </div>
      <h2 className="section-title">Round history</h2>
      {rounds.length === 0 ? (
        <p className="hint">No rounds yet.</p>
      ) : (
        <ol className="round-history" aria-label="Round history">
          {rounds.map((r) => (
            <li key={r.index} data-status={r.status} data-seconds={r.timings.seconds.toFixed(2)} data-ms-per-step={r.timings.msPerStep.toFixed(1)}>
              <strong>Round {r.index}</strong> <span>{roundSummary(r)}</span>
            </li>
          ))}
        </ol>
      )}
    </form>
  );
}
