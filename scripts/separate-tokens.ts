/**
 * Re-separate the token embeddings of word pairs in a pretraining run (raw weights and EMA alike),
 * then resume with `npm run pretrain -- --resume`.
 *   npm run separate-tokens -- --pairs left/right [--scale 1] [--seed 7] [--config small]
 * Why: the small model's "left" and "right" embeddings kept only their initial random difference
 * (cosine 0.97 at 17,800 steps) and its videos for the two words were the same for every seed.
 * See scripts/lib/separate-tokens.ts for the rule.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../src/world/rng';
import { parseArgs, parseWordPairs } from './lib/args';
import { separateTokenPairs } from './lib/separate-tokens';
import { loadTrainState, saveTrainState } from './lib/train-state';

const args = parseArgs(process.argv.slice(2), { config: 'small', pairs: '', scale: '1', seed: '7', 'model-out': '', 'state-out': '' });
const modelFile = args['model-out'] || `public/models/${args.config}.safetensors`;
const stateFile = args['state-out'] || `checkpoints/${args.config}.state.safetensors`;
const EMBEDDING = 'text_encoder.token_embedding.weight';

function main() {
  const wordPairs = parseWordPairs(args.pairs, '--pairs');
  for (const file of [modelFile, stateFile]) {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist: separate-tokens edits a pretraining run's model and state files (npm run pretrain writes them; --model-out/--state-out name others).`);
  }
  const s = loadTrainState(modelFile, stateFile);
  const vocab = s.config.vocab;
  const pairs = wordPairs.map((words) => {
    const ids = words.map((w) => vocab.indexOf(w));
    if (ids.some((id) => id < 0)) {
      throw new Error(`--pairs: "${words.join('/')}" is not two words of the vocabulary (vocabulary: ${vocab.slice(2).join(', ')})`);
    }
    return ids as [number, number];
  });
  // One set of directions for raw and EMA weights: the same seed for both.
  for (const [label, params] of [['raw', s.params], ['ema', s.ema]] as const) {
    const weight = params.get(EMBEDDING) as tf.Variable;
    const [v, d] = weight.shape;
    const { rows, report } = separateTokenPairs(weight.dataSync() as Float32Array, d, pairs, Number(args.scale), makeRng(Number(args.seed)));
    weight.assign(tf.tensor2d(rows, [v, d]));
    report.forEach((r, k) => console.log(`${label}: ${vocab[pairs[k][0]]}/${vocab[pairs[k][1]]} difference ${r.before.toFixed(3)} -> ${r.after.toFixed(3)}`));
  }
  saveTrainState(modelFile, stateFile, s.config, s.params, s.ema, { step: s.info.step, m: s.m, v: s.v }, s.info);
  console.log(`wrote ${modelFile}, ${stateFile} (step ${s.info.step}); resume with npm run pretrain -- --resume`);
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
