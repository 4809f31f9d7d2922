/**
 * Does the model read a word? For each word pair, two prompts that differ only in that word are
 * sampled with the same seeds (tfjs-wasm), and the probe reports:
 *  - same: the fraction of seeds whose two videos the detectors read alike (1.0: the word is ignored);
 *  - followed: the fraction of videos that show what their own prompt asked for;
 *  - Δx̂0 at t = 0.98 / 0.8 / 0.5: ‖x̂0(a) − x̂0(b)‖ / ‖x̂0(a)‖ on the same noisy input (0: no effect);
 *  - the cosine of the two token embeddings.
 *   npm run probe:words -- [--checkpoint FILE] [--pairs left/right,up/down,circle/square] [--seeds 12] [--json FILE]
 * It found that the 8×8-patch model (today's small-p8) at 17,800 steps drew the same video for "moves left" and
 * "moves right" on every seed (docs/history.md).
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { checkpointFromBytes } from '../../src/model/checkpoint';
import { forward } from '../../src/model/dit';
import { tokenizeBatch } from '../../src/model/tokenizer';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, sampleVideos } from '../../src/diffusion/sampler';
import { detectAction, detectColour, detectShape } from '../../src/world/detect';
import { formatPrompt, type PromptSpec } from '../../src/world/prompt';
import { detectObject } from '../../src/world/segment';
import { ACTIONS, COLOUR_NAMES, SHAPES } from '../../src/world/vocab';
import type { Video } from '../../src/world/video';
import { parseArgs, parseWordPairs } from '../lib/args';
import { useWasmBackend } from '../../src/engine/tf-node';

const args = parseArgs(process.argv.slice(2), {
  checkpoint: 'public/models/small.safetensors', pairs: 'left/right,up/down,circle/square', seeds: '12', json: '',
  steps: String(DEFAULT_SAMPLE_STEPS), guidance: String(DEFAULT_GUIDANCE),
});

const BASE: PromptSpec = { colour: 'red', shape: 'square', action: 'bounces', background: 'black', size: null, speed: null };
const PROBE_TIMES = [0.98, 0.8, 0.5];
const SEED_BASE = 2_000_000_000; // held-out range, away from eval's seeds

/** The base prompt with `word` in its slot, and what a detector reads for that slot. */
function slotOf(word: string): { spec: PromptSpec; read: (v: Video) => string | null } {
  const track = (v: Video) => detectObject(v);
  if ((SHAPES as readonly string[]).includes(word)) return { spec: { ...BASE, shape: word as PromptSpec['shape'] }, read: (v) => detectShape(track(v)) };
  if ((COLOUR_NAMES as readonly string[]).includes(word)) return { spec: { ...BASE, colour: word as PromptSpec['colour'] }, read: (v) => detectColour(track(v)) };
  const action = ACTIONS.find((a) => a === word || a === `moves ${word}`);
  if (action) return { spec: { ...BASE, action }, read: (v) => detectAction(track(v)) };
  throw new Error(`--pairs: "${word}" is not a shape, colour or action word (shapes: ${SHAPES.join(', ')}; colours: ${COLOUR_NAMES.join(', ')}; actions: ${ACTIONS.join(', ')})`);
}

interface PairResult { pair: string; prompts: [string, string]; same: number; followed: number; dx0: Record<string, number>; embeddingCosine: number }

async function main() {
  await useWasmBackend();
  const { params, config } = checkpointFromBytes(new Uint8Array(fs.readFileSync(args.checkpoint)), args.checkpoint);
  const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => SEED_BASE + i);
  const per = config.frames * config.height * config.width * 3;
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const embedding = params.get('text_encoder.token_embedding.weight')!.arraySync() as number[][];
  const results: PairResult[] = [];
  for (const words of parseWordPairs(args.pairs, '--pairs')) {
    const pair = words.join('/');
    const slots = words.map(slotOf);
    const prompts = slots.map((s) => formatPrompt(s.spec)) as [string, string];
    // Both prompts, the same seeds, one batch.
    const data = await sampleVideos(params, config, {
      prompts: [...seeds.map(() => prompts[0]), ...seeds.map(() => prompts[1])], seeds: [...seeds, ...seeds],
      steps: Number(args.steps), guidance: Number(args.guidance),
    });
    const reads = [0, 1].map((k) => seeds.map((_, i) => slots[k].read({ ...shape, data: data.slice((k * seeds.length + i) * per, (k * seeds.length + i + 1) * per) })));
    const wanted = (read: string | null, k: number) => read === words[k] || read === `moves ${words[k]}`;
    // One noisy input and the two prompts' ids, at every probed noise level.
    const x = tf.tile(tf.randomNormal([1, config.frames, config.height, config.width, 3], 0, 1, 'float32', 7), [2, 1, 1, 1, 1]) as tf.Tensor5D;
    const ids = tf.tensor2d(tokenizeBatch(prompts, config), [2, config.maxTextLength], 'int32');
    const dx0: Record<string, number> = {};
    for (const t of PROBE_TIMES) {
      dx0[String(t)] = tf.tidy(() => {
        const x0 = tf.sub(x, tf.mul(forward(params, config, x, tf.fill([2, config.frames], t) as tf.Tensor2D, ids), t));
        const [a, b] = tf.split(x0, 2);
        return tf.norm(tf.sub(a, b)).dataSync()[0] / tf.norm(a).dataSync()[0];
      });
    }
    tf.dispose([x, ids]);
    const [ea, eb] = words.map((w) => embedding[config.vocab.indexOf(w)]);
    const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
    results.push({
      pair, prompts,
      same: seeds.filter((_, i) => reads[0][i] === reads[1][i]).length / seeds.length,
      followed: (reads[0].filter((r) => wanted(r, 0)).length + reads[1].filter((r) => wanted(r, 1)).length) / (2 * seeds.length),
      dx0,
      embeddingCosine: dot(ea, eb) / Math.sqrt(dot(ea, ea) * dot(eb, eb)),
    });
  }
  console.log(`${args.checkpoint}, ${seeds.length} seeds per prompt\n`);
  console.log(`| pair | prompts | same reading | followed | ${PROBE_TIMES.map((t) => `Δx̂0 @ t=${t}`).join(' | ')} | embedding cos |`);
  console.log(`|---|---|---:|---:|${PROBE_TIMES.map(() => '---:').join('|')}|---:|`);
  for (const r of results) {
    console.log(`| ${r.pair} | ${r.prompts.join(' / ')} | ${(100 * r.same).toFixed(0)} % | ${(100 * r.followed).toFixed(0)} % | ${PROBE_TIMES.map((t) => r.dx0[String(t)].toFixed(3)).join(' | ')} | ${r.embeddingCosine.toFixed(2)} |`);
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ checkpoint: args.checkpoint, seeds: seeds.length, results }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
