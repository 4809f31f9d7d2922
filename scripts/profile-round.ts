/**
 * Where a round's time goes: one DPO step (trainRound, default hyper-parameters: 8 pairs, SFT
 * weight 0.25, rank-4 LoRA) and one sampling step (CFG, one forward of both branches) of a model
 * in Node on tfjs-wasm, by kind of work and by phase, with ms, share and achieved GFLOP/s.
 *   npm run profile:round -- [--model small] [--videos 8] [--json docs/profile-round.json]
 * Each measurement runs once to warm up, then once profiled. The wrapper that times each kernel
 * adds a little overhead; the unprofiled wall time of the same work is printed beside it.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { sampleVideos } from '../src/diffusion/sampler';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { encodeText } from '../src/model/dit';
import { tokenizeBatch } from '../src/model/tokenizer';
import { Policy } from '../src/engine/policy';
import { trainRound } from '../src/engine/train-round';
import { roundHyper } from '../src/prefs/rounds';
import { parseArgs } from './lib/args';
import { classify, KERNEL_KINDS, profileKernels, profileTable, summarise, type ProfiledCall, type ProfileRow } from './lib/kernel-profile';
import { stepFixture } from './lib/step-fixture';
import { useWasmBackend } from '../src/engine/tf-node';

const args = parseArgs(process.argv.slice(2), { model: 'small', videos: '8', pairs: '8', json: '' });

const PHASES = ['reference forward', 'policy forward + loss', 'policy backward', 'batch, Adam, readback'] as const;
function phaseOf(c: ProfiledCall): string {
  if (c.scopes.includes('backward')) return 'policy backward';
  if (c.scopes.includes('forward')) return 'policy forward + loss';
  if (c.scopes.includes('reference')) return 'reference forward';
  return 'batch, Adam, readback';
}

interface Measured { title: string; wallMs: number; unprofiledMs: number; byKind: ProfileRow[]; byPhase?: ProfileRow[] }

async function measure(title: string, rank: number, run: () => Promise<unknown>, phases = false): Promise<Measured> {
  await run(); // warm-up
  const t0 = performance.now();
  await run();
  const unprofiledMs = performance.now() - t0;
  const { calls, wallMs } = await profileKernels(run);
  const classified = classify(calls, rank);
  return {
    title, wallMs, unprofiledMs,
    byKind: summarise(classified, wallMs, (c) => c.kind, KERNEL_KINDS),
    byPhase: phases ? summarise(classified, wallMs, phaseOf, PHASES) : undefined,
  };
}

async function main() {
  await useWasmBackend();
  const file = `public/models/${args.model}.safetensors`;
  const { config, params } = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), file);
  const pairs = Number(args.pairs);
  const { prompts, slots, sft } = stepFixture(config, pairs);
  const hyper = roundHyper({ steps: 1, batchSize: pairs });
  const policy = new Policy(config, params);
  const step = (sftWeight: number) => () => trainRound({ config, policy, hyper: { ...hyper, sftWeight }, roundIndex: 1, slots, sft: sftWeight > 0 ? sft : [] });

  const videos = Number(args.videos);
  const sampleStep = () => sampleVideos(params, config, { prompts: prompts.slice(0, videos), seeds: prompts.slice(0, videos).map((_, i) => i), steps: 1 });
  const ids = () => tf.tensor2d(tokenizeBatch(prompts.slice(0, videos), config), [videos, config.maxTextLength], 'int32');

  const rank = hyper.lora.rank;
  const results: Measured[] = [
    await measure(`one DPO step of ${args.model} (${pairs} pairs + ${Math.ceil(pairs / 2)} SFT samples, trainRound)`, rank, step(hyper.sftWeight), true),
    await measure(`the same step without the SFT term`, rank, step(0), true),
    await measure(`one sampling step of ${args.model} (${videos} videos, CFG: one forward of ${2 * videos} rows)`, rank, sampleStep),
    await measure(`the text encoder on ${videos} prompts`, rank, async () => tf.dispose(tf.tidy(() => Object.values(encodeText(params, config, ids()))))),
  ];
  for (const r of results) {
    console.log(`\n${profileTable(r.title, r.byKind, r.wallMs)}\n(unprofiled: ${r.unprofiledMs.toFixed(0)} ms)`);
    if (r.byPhase) console.log(`\n${profileTable('by phase', r.byPhase, r.wallMs)}`);
  }
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ model: args.model, pairs, videos, backend: tf.getBackend(), results }, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
