import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from './lib/tf-node';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { forward } from '../src/model/dit';
import { tokenizeBatch } from '../src/model/tokenizer';
import { render } from '../src/world/render';
import { videoToUint8, videoFromUint8 } from '../src/world/video';
import { contactSheet, encodePng } from './lib/png';
import { videoMetrics } from '../src/world/metrics';
import { parsePrompt } from '../src/world/prompt';
await useWasmBackend();
const file = process.argv[2] ?? '/tmp/small-5000.safetensors';
const { config, params } = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), 'x') as any;
const prompts = ['a red circle moves right on a black background', 'a blue square moves down on a gray background', 'a green triangle moves left'];
const shape = { frames: config.frames, height: config.height, width: config.width };
const rows: Uint8Array[] = [];
const err: string[] = [];
for (const p of prompts) {
  const v = render(p, 7, shape);
  rows.push(videoToUint8(v));
  for (const tv of [0.3, 0.5, 0.7, 0.9]) {
    const x0 = tf.tensor(v.data ?? (v as any), [1, config.frames, config.height, config.width, 3]) as tf.Tensor5D;
    const eps = tf.randomNormal(x0.shape, 0, 1, 'float32', 3);
    const xt = tf.add(tf.mul(1 - tv, x0), tf.mul(tv, eps)) as tf.Tensor5D;
    const t = tf.fill([1, config.frames], tv) as tf.Tensor2D;
    const ids = tf.tensor2d(tokenizeBatch([p], config), [1, config.maxTextLength], 'int32');
    const vel = forward(params, config, xt, t, ids);
    const x0hat = tf.clipByValue(tf.sub(xt, tf.mul(tv, vel)), -1, 1);
    const data = x0hat.dataSync() as Float32Array;
    const e = tf.mean(tf.square(tf.sub(x0hat, x0))).dataSync()[0];
    const vid = { ...v, data: new Float32Array(data) } as any;
    const m = videoMetrics(vid, parsePrompt(p));
    err.push(`${p} t=${tv} x0-mse ${e.toFixed(4)} found ${m.objectFound.toFixed(2)} shape ${m.shapeCorrect} action ${m.actionCorrect}`);
    rows.push(videoToUint8(vid));
  }
}
console.log(err.join('\n'));
const sheet = contactSheet(rows, config.frames, config.height, config.width);
fs.writeFileSync('/tmp/denoise.png', encodePng(sheet.rgb, sheet.width, sheet.height));
