/**
 * The cost of one preference round in Chromium, driven through the studio as a person drives it:
 *   npm run bench:round -- [--model small] [--backends wasm] [--pairs 4] [--steps 5]
 *                          [--sample-steps 24] [--solver euler|dpm++2m] [--json FILE] [--no-build]
 * Per backend, in a fresh browser profile: generate --pairs pairs (one prompt each), judge every
 * pair "left is better" by keyboard, run one DPO round of --steps steps (the studio's defaults
 * otherwise), and read the round's own timing from its record. A round of the default length is
 * extrapolated from the measured ms per step, and the table says so.
 */
import fs from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { isSamplerName, SAMPLERS, type SamplerName } from '../src/diffusion/sampler-defaults';
import { DEFAULT_ROUND_HYPER } from '../src/prefs/rounds';
import { generatePairs, openStudio, openTab, runRound } from './lib/studio-driver';
import { parseArgs } from './lib/args';
import { launchChromium, withPreview } from './lib/browser';

const args = parseArgs(process.argv.slice(2), {
  model: 'small', backends: 'wasm', pairs: '4', steps: '5', 'sample-steps': '24', solver: 'euler', json: '', port: '4181',
}, ['no-build']);

const PROMPTS = ['a red circle moves left', 'a blue square moves up', 'a green triangle grows', 'a yellow circle bounces', 'a purple square moves right', 'an orange triangle shrinks'];

/** The Generate tab's solver for the pairs (the studio's own choice list). */
function solverArg(): SamplerName {
  if (!isSamplerName(args.solver)) throw new Error(`--solver ${args.solver}: one of ${SAMPLERS.join(', ')}`);
  return args.solver;
}

interface Row {
  backend: string;
  adapter: string;
  pairs: number;
  sample_steps: number;
  solver: string;
  seconds_per_video: number;
  round_steps: number;
  round_seconds: number;
  ms_per_step: number;
  default_round_steps: number;
  default_round_seconds_estimate: number;
}

async function measure(page: Page, backend: string): Promise<Row> {
  const pairs = Number(args.pairs);
  const steps = Number(args.steps);
  const prompts = Array.from({ length: pairs }, (_, i) => PROMPTS[i % PROMPTS.length]);
  await openStudio(page, `?model=${args.model}&backend=${backend}`);
  const adapter = (await page.getByTestId('adapter').textContent()) ?? '';

  const t0 = Date.now();
  await generatePairs(page, prompts, { steps: Number(args['sample-steps']), expectTotal: pairs, timeoutMs: 1_800_000, solver: solverArg() });
  const secondsPerVideo = (Date.now() - t0) / 1000 / (2 * pairs);

  await openTab(page, 'Rank');
  for (let i = 0; i < pairs; i++) {
    await expect(page.getByTestId('rank-position')).toHaveText(`Pair ${i + 1} of ${pairs}`);
    await page.keyboard.press('1');
  }
  const item = await runRound(page, steps, { timeoutMs: 3_600_000 });
  const roundSeconds = Number(await item.getAttribute('data-seconds'));
  const msPerStep = Number(await item.getAttribute('data-ms-per-step'));
  const fixed = Math.max(0, roundSeconds - (steps * msPerStep) / 1000);
  return {
    backend, adapter, pairs, sample_steps: Number(args['sample-steps']), solver: args.solver, seconds_per_video: secondsPerVideo,
    round_steps: steps, round_seconds: roundSeconds, ms_per_step: msPerStep,
    default_round_steps: DEFAULT_ROUND_HYPER.steps, default_round_seconds_estimate: fixed + (DEFAULT_ROUND_HYPER.steps * msPerStep) / 1000,
  };
}

async function main() {
  const rows = await withPreview('bench:round', args.port, { build: !args['no-build'] }, async (base) => {
    const browser = await launchChromium();
    const out: Row[] = [];
    try {
      for (const backend of args.backends.split(',')) {
        const context = await browser.newContext({ baseURL: base }); // a fresh profile: an empty project
        try {
          out.push(await measure(await context.newPage(), backend));
        } finally {
          await context.close();
        }
      }
    } finally {
      await browser.close();
    }
    return out;
  });
  console.log(`\none DPO round in the studio, ${args.model} model (Chromium), pairs sampled with ${args.solver} ${args['sample-steps']} steps\n`);
  console.log('| backend | adapter | pairs | s per video | round steps | round s | ms/step | default round (steps) ≈ s |');
  console.log('|---|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.backend} | ${r.adapter} | ${r.pairs} | ${r.seconds_per_video.toFixed(2)} | ${r.round_steps} | ${r.round_seconds.toFixed(1)} | ${r.ms_per_step.toFixed(0)} | ${r.default_round_steps} ≈ ${r.default_round_seconds_estimate.toFixed(0)} (extrapolated) |`);
  }
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ model: args.model, rows }, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
