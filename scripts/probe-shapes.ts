/**
 * Where does a shape get lost? Ground-truth circles and squares (24 each: 6 colour/action pairs ×
 * 2 backgrounds × 2 seeds) are noised to t and denoised in one step (x̂0, the prompt's own text, no
 * guidance); the detector reads x̂0's shape. With a refiner it also reports the refiner's share,
 * ‖x̂0 − x̂0(trunk alone)‖ / ‖x̂0(trunk alone) − x0‖.
 *   npm run probe:shapes -- --checkpoints A.safetensors[,B.safetensors] [--state STATE] [--times 0.3,0.5,0.7,0.85]
 * README, "Pretraining status" (session 7).
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { gaussianNoise } from '../src/diffusion/noise';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { forward } from '../src/model/dit';
import type { ModelConfig } from '../src/model/config';
import type { Params } from '../src/model/params';
import { tokenizeBatch } from '../src/model/tokenizer';
import { detectShape } from '../src/world/detect';
import { HELD_OUT_SEED_BASE } from '../src/world/prompt';
import { render } from '../src/world/render';
import { parseArgs } from './lib/args';
import { useWasmBackend } from './lib/tf-node';
import { loadTrainState } from './lib/train-state';

const args = parseArgs(process.argv.slice(2), { checkpoints: 'public/models/small.safetensors', state: '', times: '0.3,0.5,0.7,0.85' });
const files = args.checkpoints.split(',').filter((f) => f.trim() !== '');

const SETS: [string, string][] = [['red', 'moves left'], ['blue', 'bounces'], ['green', 'grows'], ['yellow', 'moves up'], ['purple', 'shrinks'], ['orange', 'moves down']];
const PROMPTS = ['circle', 'square'].flatMap((shape) => SETS.flatMap(([colour, action]) =>
  ['', ' on a gray background'].map((bg) => `a ${colour} ${shape} ${action}${bg}`.replace(/^a orange/, 'an orange'))));

function readShapes(params: Params, config: ModelConfig, t: number, seed: number) {
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const per = config.frames * config.height * config.width * 3;
  const b = PROMPTS.length;
  const x0 = new Float32Array(b * per);
  PROMPTS.forEach((p, i) => x0.set(render(p, HELD_OUT_SEED_BASE + 17 * i + seed, shape).data, i * per));
  const dims = [b, config.frames, config.height, config.width, 3] as [number, number, number, number, number];
  const [x0hat, share] = tf.tidy(() => {
    const clean = tf.tensor5d(x0, dims);
    const xt = tf.add(tf.mul(1 - t, clean), tf.mul(t, tf.tensor5d(gaussianNoise(99 + seed, b * per), dims))) as tf.Tensor5D;
    const tt = tf.fill([b, config.frames], t) as tf.Tensor2D;
    const ids = tf.tensor2d(tokenizeBatch(PROMPTS, config), [b, config.maxTextLength], 'int32');
    const predict = (c: ModelConfig) => tf.sub(xt, tf.mul(t, forward(params, c, xt, tt, ids)));
    const full = predict(config);
    if (!config.refiner) return [full, tf.scalar(0)];
    const trunk = predict({ ...config, refiner: null });
    return [full, tf.div(tf.norm(tf.sub(full, trunk)), tf.norm(tf.sub(trunk, clean)))];
  });
  const data = x0hat.dataSync() as Float32Array;
  let right = 0, circles = 0;
  PROMPTS.forEach((p, i) => {
    const want = p.includes('circle') ? 'circle' : 'square';
    if (detectShape({ ...shape, data: data.slice(i * per, (i + 1) * per) }) !== want) return;
    right++;
    if (want === 'circle') circles++;
  });
  const refinerShare = share.dataSync()[0];
  tf.dispose([x0hat, share]);
  return { right, circles, refinerShare };
}

async function main() {
  if (files.length === 0) throw new Error('--checkpoints needs one or more files, e.g. --checkpoints public/models/small.safetensors');
  if (args.state && files.length > 1) throw new Error(`--state belongs to one run: give it with one checkpoint (the run's model file), not ${files.length}`);
  await useWasmBackend();
  const times = args.times.split(',').map(Number);
  for (const file of files) {
    const ck = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), file);
    const params = args.state ? loadTrainState(file, args.state).params : ck.params;
    console.log(`${file} (step ${ck.metadata.step ?? '?'}${args.state ? `, raw weights of ${args.state}` : ''}): one-step x̂0 of ${PROMPTS.length} circles and squares × 2 seeds`);
    for (const t of times) {
      const runs = [0, 1].map((seed) => readShapes(params, ck.config, t, seed));
      const sum = (k: 'right' | 'circles') => runs.reduce((a, r) => a + r[k], 0);
      const share = ck.config.refiner ? `, refiner share ${(runs.reduce((a, r) => a + r.refinerShare, 0) / 2).toFixed(3)}` : '';
      console.log(`  t ${t}: ${sum('right')}/${2 * PROMPTS.length} right, circles ${sum('circles')}/${PROMPTS.length}${share}`);
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
