/**
 * Evaluate a checkpoint on held-out prompts and seeds (never seen in training) with the world's
 * detectors and metrics (tfjs-wasm).
 *   npm run eval -- --checkpoint public/models/small.safetensors --samples 128 --json eval.json
 *                   [--sampler euler|dpm++2m] [--steps 24] [--guidance 2] [--first-frame] [--sheet contact.png]
 *                   [--state checkpoints/small.state.safetensors]  (the run's raw weights, not the EMA)
 *                   [--noise-correlation ρ] [--time-shift s]  (sample under another prior/schedule than trained)
 * Held-out = the prompt combinations the grammar's split keeps out of training, with video seeds
 * ≥ HELD_OUT_SEED_BASE. The same prompts and seeds rendered by the world are scored too: the
 * ceiling the detectors allow.
 */
import fs from 'node:fs';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, DEFAULT_SAMPLER, sampleVideos, type SamplerName } from '../src/diffusion/sampler';
import { detectAction, detectShape } from '../src/world/detect';
import { detectObject } from '../src/world/segment';
import { ACTIONS, DIRECTIONAL_ACTIONS, SHAPES } from '../src/world/vocab';
import { aggregateMetrics, METRIC_KEYS, videoMetrics, type AggregateMetrics, type VideoMetrics } from '../src/world/metrics';
import { formatPrompt, type PromptSpec } from '../src/world/prompt';
import { render } from '../src/world/render';
import { videoToUint8, type Video } from '../src/world/video';
import { parseArgs } from './lib/args';
import { withScheduleFlags } from './lib/config-flags';
import { heldOutSet } from './lib/held-out';
import { contactSheet, encodePng } from './lib/png';
import { useWasmBackend } from '../src/engine/tf-node';
import { loadTrainState } from './lib/train-state';

const args = parseArgs(process.argv.slice(2), {
  checkpoint: 'public/models/small.safetensors', state: '', samples: '128', json: '', batch: '8',
  sampler: DEFAULT_SAMPLER, steps: String(DEFAULT_SAMPLE_STEPS), guidance: String(DEFAULT_GUIDANCE), sheet: '', 'sheet-rows': '16', 'noise-correlation': '', 'time-shift': '', stochasticity: '0',
}, ['first-frame']);

/** The world's aggregate metrics plus the accuracies a base model is held to (docs/architecture.md §8). */
type Summary = AggregateMetrics & { directionAccuracy: number; actionAccuracyByCategory: Record<string, number> };
/** What the detectors saw in one video: the answer a wrong sample gave instead of the prompt's. */
interface Detected { shape: string; action: string }
type Row = { spec: PromptSpec; metrics: VideoMetrics; detected: Detected };

/** The world's metrics and what the detectors saw, from one segmentation of the video. */
function scored(spec: PromptSpec, video: Video): Row {
  const track = detectObject(video);
  return { spec, metrics: videoMetrics(video, spec, track), detected: { shape: detectShape(track) ?? 'none', action: detectAction(track) ?? 'none' } };
}

/** confusion[asked][seen] = count; 'none' when no object or no action was found. */
function confusion(rows: Row[], asked: (s: PromptSpec) => string, seen: (d: Detected) => string, labels: readonly string[]) {
  const matrix: Record<string, Record<string, number>> = {};
  for (const a of labels) matrix[a] = Object.fromEntries([...labels, 'none'].map((l) => [l, 0]));
  for (const r of rows) matrix[asked(r.spec)][seen(r.detected)] += 1;
  return matrix;
}

function printConfusion(title: string, matrix: Record<string, Record<string, number>>): void {
  const cols = Object.keys(Object.values(matrix)[0]);
  console.log(`\n${title} (rows: prompt, columns: detected)\n| | ${cols.join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`);
  for (const [asked, row] of Object.entries(matrix)) console.log(`| ${asked} | ${cols.map((c) => row[c]).join(' | ')} |`);
}

function summarise(rows: Row[]): Summary {
  const accuracyOf = (filter: (s: PromptSpec) => boolean) => {
    const sel = rows.filter((r) => filter(r.spec));
    return sel.length ? sel.reduce((a, r) => a + r.metrics.actionCorrect, 0) / sel.length : NaN;
  };
  const byCategory: Record<string, number> = {};
  for (const action of ACTIONS) byCategory[action] = accuracyOf((s) => s.action === action);
  return {
    ...aggregateMetrics(rows.map((r) => r.metrics)),
    directionAccuracy: accuracyOf((s) => (DIRECTIONAL_ACTIONS as readonly string[]).includes(s.action)),
    actionAccuracyByCategory: byCategory,
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '   –  ' : `${(100 * x).toFixed(1).padStart(5)} %`);
const num = (x: number) => x.toFixed(3).padStart(7);

function printTable(model: Summary, truth: Summary): void {
  const rows: [string, (s: Summary) => string][] = [
    ['colour accuracy', (s) => pct(s.colourCorrect)],
    ['shape accuracy', (s) => pct(s.shapeCorrect)],
    ['action accuracy (all)', (s) => pct(s.actionCorrect)],
    ['action accuracy (moves …)', (s) => pct(s.directionAccuracy)],
    ...ACTIONS.map((a) => [`  ${a}`, (s: Summary) => pct(s.actionAccuracyByCategory[a])] as [string, (s: Summary) => string]),
    ['object found', (s) => pct(s.objectFound)],
    ['subject consistency', (s) => num(s.subjectConsistency)],
    ['background consistency', (s) => num(s.backgroundConsistency)],
    ['motion smoothness', (s) => num(s.motionSmoothness)],
    ['temporal flicker (↓)', (s) => num(s.temporalFlicker)],
    ['dynamic degree', (s) => num(s.dynamicDegree)],
  ];
  console.log(`| metric | model | rendered ground truth |\n|---|---:|---:|`);
  for (const [name, f] of rows) console.log(`| ${name} | ${f(model)} | ${f(truth)} |`);
}

async function main() {
  await useWasmBackend();
  const checkpoint = checkpointFromBytes(new Uint8Array(fs.readFileSync(args.checkpoint)), args.checkpoint);
  const { metadata } = checkpoint;
  // --state: the run's raw weights instead of the EMA (early in a run the EMA still lags behind).
  const params = args.state ? loadTrainState(args.checkpoint, args.state).params : checkpoint.params;
  const weights = args.state ? `raw weights of ${args.state}` : 'the file\'s weights';
  // Sample under another noise prior or schedule than the checkpoint's (ablations).
  const config = withScheduleFlags(checkpoint.config, args, ['noise-correlation', 'time-shift'], 'eval flags');
  const n = Number(args.samples);
  const set = heldOutSet(n);
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const per = config.frames * config.height * config.width * 3;
  const frameSize = config.height * config.width * 3;
  const batch = Number(args.batch);
  const modelRows: Row[] = [];
  const truthRows: Row[] = [];
  const sheetVideos: Uint8Array[] = [];
  const t0 = performance.now();
  for (let start = 0; start < n; start += batch) {
    const chunk = set.slice(start, start + batch);
    const truths = chunk.map(({ spec, seed }) => render(spec, seed, shape));
    const data = await sampleVideos(params, config, {
      prompts: chunk.map((c) => formatPrompt(c.spec)),
      seeds: chunk.map((c) => c.seed),
      sampler: args.sampler as SamplerName,
      steps: Number(args.steps),
      guidance: Number(args.guidance),
      stochasticity: Number(args.stochasticity),
      firstFrames: args['first-frame'] === 'true' ? truths.map((t) => t.data.slice(0, frameSize)) : undefined,
    });
    chunk.forEach((c, i) => {
      const video: Video = { ...shape, data: data.slice(i * per, (i + 1) * per) };
      modelRows.push(scored(c.spec, video));
      truthRows.push(scored(c.spec, truths[i]));
      if (sheetVideos.length < Number(args['sheet-rows'])) sheetVideos.push(videoToUint8(video));
    });
    const done = Math.min(n, start + batch);
    const elapsed = (performance.now() - t0) / 1000;
    process.stdout.write(`\r${done}/${n} videos, ${(elapsed / done).toFixed(2)} s/video, ETA ${((n - done) * elapsed / done).toFixed(0)} s   `);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\n${args.checkpoint} (step ${metadata.step ?? '?'}, ${weights}), ${n} held-out samples, ${args.sampler} ${args.steps} steps, guidance ${args.guidance}${args['first-frame'] === 'true' ? ', first-frame mode' : ''}: ${seconds.toFixed(0)} s\n`);
  const model = summarise(modelRows);
  const truth = summarise(truthRows);
  printTable(model, truth);
  const shapeConfusion = confusion(modelRows, (s) => s.shape, (d) => d.shape, SHAPES);
  const actionConfusion = confusion(modelRows, (s) => s.action, (d) => d.action, ACTIONS);
  printConfusion('shape', shapeConfusion);
  printConfusion('action', actionConfusion);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({
      checkpoint: args.checkpoint, state: args.state || null, step: Number(metadata.step ?? NaN), config: config.name, samples: n, sampler: args.sampler, steps: Number(args.steps),
      guidance: Number(args.guidance), firstFrame: args['first-frame'] === 'true', seconds, secondsPerVideo: seconds / n,
      model, groundTruth: truth, metricKeys: METRIC_KEYS, shapeConfusion, actionConfusion,
      perSample: modelRows.map((r, i) => ({ prompt: formatPrompt(r.spec), seed: set[i].seed, detectedShape: r.detected.shape, detectedAction: r.detected.action, ...r.metrics })),
    }, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
  if (args.sheet) {
    const s = contactSheet(sheetVideos, config.frames, config.height, config.width, 3, 2);
    fs.writeFileSync(args.sheet, encodePng(s.rgb, s.width, s.height));
    console.log(`wrote ${args.sheet} (${sheetVideos.length} held-out samples, frames left to right)`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
