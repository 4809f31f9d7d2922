/**
 * A round's two costs, this tree against another checkout (a git worktree of an older commit) in
 * the same process, runs alternating: a DPO step (trainRound, default hyper-parameters at --pairs
 * pairs; the median step of a short round after its first) and sampling --videos videos (CFG),
 * each side with its own sampler settings.
 *   npm run bench:cost -- --against ../wt-bcda523 [--model small] [--pairs 8] [--videos 8] [--runs 3] [--round-steps 3]
 *                         [--sampler dpm++2m --steps 12] [--against-sampler euler --against-steps 24] [--json FILE]
 * Both trees must resolve @tensorflow/tfjs to the same files (a node_modules symlink), so they share
 * one engine and one backend. Reports medians and the ratio against/this.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { parseArgs } from './lib/args';
import { stepFixture } from './lib/step-fixture';
import { useWasmBackend } from '../src/engine/tf-node';
import { restoreCopyingIdentity, shareIdentityOnWasm } from '../src/engine/wasm-identity';

const args = parseArgs(process.argv.slice(2), {
  against: '', model: 'small', pairs: '8', videos: '8', runs: '3', sampler: 'dpm++2m', steps: '12', 'against-sampler': 'euler', 'against-steps': '24', 'round-steps': '3', json: '',
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Tree {
  name: string;
  trainRound: typeof import('../src/engine/train-round').trainRound;
  Policy: typeof import('../src/engine/policy').Policy;
  roundHyper: typeof import('../src/prefs/rounds').roundHyper;
  sampleVideos: typeof import('../src/diffusion/sampler').sampleVideos;
  sampler: { sampler: string; steps: number };
  /**
   * Installs what the tree runs with on wasm before each of its runs: its attention implementation
   * and its Identity kernel (both trees share one kernel registry: the zero-copy Identity of
   * src/engine/wasm-identity.ts for a tree that has it, tfjs-wasm's copying one for an older tree).
   */
  kernels: () => void;
}

/**
 * What the tree's own `useWasmBackend` would set up. Each tree has its own attention module (its
 * own active implementation), which this process's `useWasmBackend` never touches: a tree that has
 * attention as 2-D matmuls gets it here, an older one keeps its reference attention.
 */
async function wasmKernels(dir: string): Promise<() => void> {
  const file = (name: string) => path.resolve(dir, name);
  const identity = fs.existsSync(file('src/engine/wasm-identity.ts')) ? shareIdentityOnWasm : restoreCopyingIdentity;
  const attention = await import(file('src/model/attention.ts'));
  const implementation = fs.existsSync(file('src/model/attention-2d.ts')) ? (await import(file('src/model/attention-2d.ts'))).attention2d : attention.referenceAttention;
  return () => {
    identity();
    attention.setAttentionImplementation(implementation);
  };
}

async function load(dir: string, name: string, sampler: string, steps: number): Promise<Tree> {
  const from = (file: string) => import(path.resolve(dir, file));
  return {
    name,
    trainRound: (await from('src/engine/train-round.ts')).trainRound,
    Policy: (await from('src/engine/policy.ts')).Policy,
    roundHyper: (await from('src/prefs/rounds.ts')).roundHyper,
    sampleVideos: (await from('src/diffusion/sampler.ts')).sampleVideos,
    sampler: { sampler, steps },
    kernels: await wasmKernels(dir),
  };
}

async function main() {
  if (!args.against) throw new Error('Give --against DIR, a checkout of the commit to compare with (git worktree add DIR COMMIT; link its node_modules to this tree\'s).');
  await useWasmBackend();
  const file = `public/models/${args.model}.safetensors`;
  const { config, params } = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), file);
  const pairs = Number(args.pairs);
  const videos = Number(args.videos);
  const { prompts, slots, sft } = stepFixture(config, pairs);
  const trees = [
    await load(args.against, `against (${args.against})`, args['against-sampler'], Number(args['against-steps'])),
    await load('.', 'this tree', args.sampler, Number(args.steps)),
  ];
  // A step as a round runs it: a round of --round-steps steps, the median of all but its first
  // (which also creates the fresh adapter's tensors and operators; 1 measures that first step).
  const roundSteps = Number(args['round-steps']);
  const step = async (tree: Tree) => {
    const hyper = tree.roundHyper({ steps: roundSteps, batchSize: pairs });
    const { metrics } = await tree.trainRound({ config, policy: new tree.Policy(config, params), hyper, roundIndex: 1, slots, sft });
    return median(metrics.slice(roundSteps > 1 ? 1 : 0).map((m) => m.ms));
  };
  const sample = async (tree: Tree) => {
    const t0 = performance.now();
    // The against tree may predate `sampler`; it then ignores the option and runs Euler.
    await tree.sampleVideos(params, config, { prompts: prompts.slice(0, videos), seeds: prompts.slice(0, videos).map((_, i) => 1000 + i), ...tree.sampler } as Parameters<Tree['sampleVideos']>[2]);
    return (performance.now() - t0) / videos / 1000;
  };
  const stepMs: number[][] = [[], []];
  const secondsPerVideo: number[][] = [[], []];
  for (let run = 0; run <= Number(args.runs); run++) {
    // Order alternates (against first, then this tree first) so that whatever the first or second
    // place in a run costs (a warmer cache, the other core's load) falls on both trees alike.
    const order = run % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const tree = trees[i];
      tree.kernels();
      const ms = await step(tree);
      const s = await sample(tree);
      if (run > 0) { // run 0 warms up
        stepMs[i].push(ms);
        secondsPerVideo[i].push(s);
      }
      process.stdout.write(`\rrun ${run}/${args.runs}: ${tree.name} step ${ms.toFixed(0)} ms, ${s.toFixed(2)} s/video        `);
    }
  }
  const rows = trees.map((tree, i) => ({ tree: tree.name, sampler: `${tree.sampler.sampler} ${tree.sampler.steps}`, step_ms: median(stepMs[i]), step_runs_ms: stepMs[i], seconds_per_video: median(secondsPerVideo[i]), video_runs_s: secondsPerVideo[i] }));
  const ratios = { dpo_step: rows[0].step_ms / rows[1].step_ms, seconds_per_video: rows[0].seconds_per_video / rows[1].seconds_per_video };
  console.log(`\n\n${args.model}, a DPO step of ${pairs} pairs (+ ${Math.ceil(pairs / 2)} SFT samples) and ${videos} videos sampled at once (CFG 2), steps ${roundSteps > 1 ? `2–${roundSteps} of a round` : '1 of a round'}, medians of ${args.runs} runs, alternating\n`);
  console.log('| tree | sampler | DPO step | s/video |\n|---|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.tree} | ${r.sampler} | ${r.step_ms.toFixed(0)} ms | ${r.seconds_per_video.toFixed(2)} |`);
  console.log(`\nratio against/this: DPO step ${ratios.dpo_step.toFixed(2)}×, seconds per video ${ratios.seconds_per_video.toFixed(2)}×`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ model: args.model, pairs, videos, runs: Number(args.runs), rows, ratios }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
