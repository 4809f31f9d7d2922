/**
 * Write parity fixtures for the GPU twin (gpu/parity.py) to carry to the device machine:
 *   npx tsx scripts/gpu-parity-fixture.ts --out DIR [--checkpoint public/models/small.safetensors]
 * DIR/parity-<name>.safetensors for a checkpoint's own weights (default: the shipped small model)
 * and for a tiny model with the options the shipped ones leave off and random weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { parseArgs } from './lib/args';
import { TINY_FULLY_OPTIONED, writeParityFixture } from './lib/gpu-parity';
import { useWasmBackend } from '../src/engine/tf-node';

const args = parseArgs(process.argv.slice(2), { out: '', checkpoint: 'public/models/small.safetensors' });
if (!args.out) throw new Error('--out DIR is required');

async function main() {
  await useWasmBackend();
  fs.mkdirSync(args.out, { recursive: true });
  const { config, params } = checkpointFromBytes(new Uint8Array(fs.readFileSync(args.checkpoint)), args.checkpoint);
  const written = [
    ['checkpoint', writeParityFixture(path.join(args.out, 'parity-checkpoint.safetensors'), config, params)],
    ['tiny-options', writeParityFixture(path.join(args.out, 'parity-tiny-options.safetensors'), TINY_FULLY_OPTIONED)],
  ] as const;
  for (const [name, { loss }] of written) console.log(`${path.join(args.out, `parity-${name}.safetensors`)}: loss ${loss.toFixed(6)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
