/**
 * Plot the pretraining loss curve recorded in a state file's __metadata__ (`npm run pretrain`), or
 * in a GPU run's log.json (gpu/train.py), as an SVG.
 *   npx tsx scripts/plot-training.ts --state checkpoints/CONFIG.state.safetensors --out docs/pretrain-CONFIG-loss.svg
 *   npx tsx scripts/plot-training.ts --log RUN/log.json --out docs/pretrain-small-loss.svg
 *        [--marks "5200:time shift 3;7200:sin-cos positions"]  (steps where the recipe changed)
 */
import fs from 'node:fs';
import { parseSafetensors } from '../src/io/safetensors';
import { parseArgs } from './lib/args';
import type { RunInfo } from './lib/train-state';

const args = parseArgs(process.argv.slice(2), { state: '', log: '', out: 'docs/pretrain-small-loss.svg', smooth: '10', marks: '' });

interface Curve { name: string; points: [number, number][]; hours: number | null; source: string }

/** gpu/train.py's log.json: {loss: [[step, loss]], seconds?, settings: {config}}. */
function curveFromGpuLog(file: string): Curve {
  const log = JSON.parse(fs.readFileSync(file, 'utf8')) as { loss?: [number, number][]; seconds?: number; settings?: { config?: { name?: string } } };
  if (!Array.isArray(log.loss) || !log.settings?.config?.name) throw new Error(`${file} is not a gpu/train.py log.json (no "loss" list or no settings.config).`);
  return { name: log.settings.config.name, points: log.loss, hours: log.seconds ? log.seconds / 3600 : null, source: file };
}

function curveFromState(file: string): Curve {
  const { metadata } = parseSafetensors(new Uint8Array(fs.readFileSync(file)), file);
  const run = JSON.parse(metadata.run) as RunInfo;
  return { name: JSON.parse(metadata.config).name, points: run.lossHistory, hours: run.wallSeconds / 3600, source: file };
}

if (!args.log === !args.state) throw new Error('give one of --state FILE (npm run pretrain\'s state file) or --log FILE (gpu/train.py\'s log.json)');
const curve = args.log ? curveFromGpuLog(args.log) : curveFromState(args.state);
const points = curve.points;
if (points.length < 2) throw new Error(`${curve.source} has ${points.length} loss points; train longer before plotting.`);

// Moving average over `smooth` log windows: the raw per-window loss is noisy (batch 16, random t).
const k = Number(args.smooth);
const smooth = points.map(([s], i) => {
  const window = points.slice(Math.max(0, i - k + 1), i + 1);
  return [s, window.reduce((a, [, l]) => a + l, 0) / window.length] as [number, number];
});
const [W, H, L, R, T, B] = [640, 320, 56, 16, 28, 40];
const maxStep = points[points.length - 1][0];
const losses = smooth.map(([, l]) => l);
// Log scale: the loss falls by an order of magnitude early, then improves by percent.
const lo = Math.log10(Math.min(...losses)) - 0.05, hi = Math.log10(Math.max(...losses)) + 0.05;
const x = (s: number) => L + ((W - L - R) * s) / maxStep;
const y = (l: number) => T + ((H - T - B) * (hi - Math.log10(l))) / (hi - lo);
const path = smooth.map(([s, l], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(l).toFixed(1)}`).join(' ');
const yTicks = Array.from({ length: 6 }, (_, i) => 10 ** (lo + ((hi - lo) * i) / 5));
const xTicks = Array.from({ length: 5 }, (_, i) => Math.round((maxStep * i) / 4));
const marks = args.marks.split(';').filter(Boolean).map((m) => {
  const [step, ...label] = m.split(':');
  if (!Number.isFinite(Number(step))) throw new Error(`--marks: "${m}" is not STEP:LABEL`);
  return { step: Number(step), label: label.join(':') };
});
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${L}" y="16" font-size="13">Pretraining loss (log scale), ${curve.name} (moving average of ${k}×${points[1][0] - points[0][0]} steps) — ${curve.hours === null ? '' : `${curve.hours.toFixed(2)} h, `}step ${maxStep}</text>
${yTicks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toPrecision(2)}</text>`).join('\n')}
${xTicks.map((s) => `<text x="${x(s)}" y="${H - B + 16}" text-anchor="middle">${s}</text>`).join('\n')}
<text x="${(W + L) / 2}" y="${H - 6}" text-anchor="middle">step</text>
${marks.map((m, i) => `<line x1="${x(m.step)}" x2="${x(m.step)}" y1="${T}" y2="${H - B}" stroke="#d1242f" stroke-dasharray="4 3"/><text x="${x(m.step) + 4}" y="${T + 14 + 14 * i}" fill="#d1242f">${m.label}</text>`).join('\n')}
<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>
</svg>
`;
fs.writeFileSync(args.out, svg);
console.log(`wrote ${args.out}: ${points.length} points, last loss ${points[points.length - 1][1]}`);
