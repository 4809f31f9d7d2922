/**
 * Batch server for the GPU twin (gpu/README.md): writes the pretraining batches of `npm run
 * pretrain` (scripts/lib/pretrain-batch.ts, the same pure function of (seed, step)) to stdout as
 * binary records, for a PyTorch trainer that cannot run the TypeScript world itself.
 *   node gpu/build/batches.mjs --config-json FILE --seed 1 --start 0 --stride 1 --batch 256 [pretrain's batch flags]
 * Steps start, start+stride, start+2·stride, … until stdout closes (W servers with --start w
 * --stride W cover every step once). Record, little-endian:
 *   "VPOB" | u32 step | u32 batch | u32 bytes of what follows
 *   f32 x0 [B, F, H, W, 3] | i32 ids [B, Lt] | f32 t [B] | u8 firstFrame [B]
 * The noise ε is drawn on the device. Bundled by `npm run gpu:bundle` so it runs on a bare `node`.
 * --print-config: print the config as JSON (with --preset: a fresh model's). --model-info: print instead, as JSON, what the twin takes from the TypeScript sources rather than
 * restating it: the parameter inventory with its initialisers, and the fixed position codes.
 */
import fs from 'node:fs';
import { configFromMetadata } from '../src/model/checkpoint-config';
import { parseArgs } from './lib/args';
import { presetConfig } from '../src/model/presets';
import { encodeRecord, modelInfo } from './lib/gpu-twin';
import { batchOptionsFromArgs, PRETRAIN_BATCH_FLAGS, pretrainBatch } from './lib/pretrain-batch';

const args = parseArgs(process.argv.slice(2), {
  'config-json': '', preset: '', seed: '1', start: '0', stride: '1', count: '0', batch: '256',
  ...PRETRAIN_BATCH_FLAGS,
}, ['model-info', 'print-config']);
if (!args['config-json'] === !args.preset) throw new Error('give one of --config-json FILE (a model config, e.g. a checkpoint\'s __metadata__.config) or --preset NAME');
const config = args.preset ? presetConfig(args.preset) : configFromMetadata(fs.readFileSync(args['config-json'], 'utf8'), args['config-json']);
const options = batchOptionsFromArgs(args, Number(args.batch), false);
const seed = Number(args.seed);
const stride = Number(args.stride);
const count = Number(args.count);

async function main() {
  if (args['print-config'] === 'true') {
    process.stdout.write(JSON.stringify(config));
    return;
  }
  if (args['model-info'] === 'true') {
    process.stdout.write(JSON.stringify(modelInfo(config)));
    return;
  }
  let closed = false;
  process.stdout.on('error', () => { closed = true; }); // the trainer hung up: stop quietly
  for (let i = 0, step = Number(args.start); !closed && (count === 0 || i < count); i++, step += stride) {
    const record = encodeRecord(step, pretrainBatch(config, seed, step, options));
    if (!process.stdout.write(record)) await new Promise((r) => process.stdout.once('drain', r));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
