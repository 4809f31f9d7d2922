/**
 * Sample one video from a checkpoint (tfjs-wasm).
 *   npm run generate -- --prompt "a red circle moves left" --seed 1 [--first-frame frame.png]
 *                       [--checkpoint public/models/small.safetensors] [--sampler euler|dpm++2m] [--steps 24] [--guidance 2] --out DIR
 * Writes DIR/video.safetensors (one uint8 tensor `frames` [F, H, W, 3]) and DIR/video.png
 * (the frames side by side, upscaled --scale×).
 */
import fs from 'node:fs';
import path from 'node:path';
import { serializeSafetensors } from '../src/io/safetensors';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, DEFAULT_SAMPLER, sampleVideos, type SamplerName } from '../src/diffusion/sampler';
import { videoToUint8 } from '../src/world/video';
import { parseArgs } from './lib/args';
import { contactSheet, decodePng, encodePng } from './lib/png';
import { useWasmBackend } from '../src/engine/tf-node';

const args = parseArgs(process.argv.slice(2), {
  prompt: '', seed: '1', 'first-frame': '', checkpoint: 'public/models/small.safetensors', out: '',
  sampler: DEFAULT_SAMPLER, steps: String(DEFAULT_SAMPLE_STEPS), guidance: String(DEFAULT_GUIDANCE), scale: '4',
});

/** Nearest-neighbour resize of an RGB image to the model's frame size, as [-1, 1] floats. */
function frameFromPng(file: string, height: number, width: number): Float32Array {
  const img = decodePng(new Uint8Array(fs.readFileSync(file)), file);
  const out = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const sy = Math.floor(((y + 0.5) * img.height) / height), sx = Math.floor(((x + 0.5) * img.width) / width);
    for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = img.rgb[(sy * img.width + sx) * 3 + c] / 127.5 - 1;
  }
  if (img.width !== width || img.height !== height) console.log(`first frame ${img.width}×${img.height} resized to ${width}×${height}`);
  return out;
}

async function main() {
  if (!args.prompt || !args.out) throw new Error('Give --prompt "…" and --out DIR (see the header of scripts/generate.ts).');
  await useWasmBackend();
  if (!fs.existsSync(args.checkpoint)) throw new Error(`Checkpoint ${args.checkpoint} not found. Run npm run pretrain first, or pass --checkpoint FILE.`);
  const { config, params, metadata } = checkpointFromBytes(new Uint8Array(fs.readFileSync(args.checkpoint)), args.checkpoint);
  const firstFrame = args['first-frame'] ? frameFromPng(args['first-frame'], config.height, config.width) : null;
  const t0 = performance.now();
  const data = await sampleVideos(params, config, {
    prompts: [args.prompt], seeds: [Number(args.seed)], sampler: args.sampler as SamplerName, steps: Number(args.steps), guidance: Number(args.guidance), firstFrames: [firstFrame],
  });
  const seconds = (performance.now() - t0) / 1000;
  const { frames, height, width } = config;
  const bytes = videoToUint8({ frames, height, width, data });
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, 'video.safetensors'), serializeSafetensors({ frames: { dtype: 'U8', shape: [frames, height, width, 3], data: bytes } }, {
    prompt: args.prompt, seed: args.seed, checkpoint: path.basename(args.checkpoint), checkpoint_step: metadata.step ?? '', sampler: args.sampler, steps: args.steps, guidance: args.guidance,
  }));
  const sheet = contactSheet([bytes], frames, height, width, Number(args.scale), 0);
  fs.writeFileSync(path.join(args.out, 'video.png'), encodePng(sheet.rgb, sheet.width, sheet.height));
  console.log(`"${args.prompt}" seed ${args.seed}: ${frames}×${height}×${width} in ${seconds.toFixed(2)} s -> ${args.out}/video.safetensors, video.png`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
