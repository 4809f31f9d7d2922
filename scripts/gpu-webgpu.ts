/**
 * The first thing to run on a GPU machine (issue 17, item 5; gpu/README.md): is there a WebGPU
 * adapter in Node — Dawn over Vulkan, the npm package `webgpu` — and if so, what sampling, a DPO
 * step and the kernel benchmark cost on tfjs-backend-webgpu with the fused WGSL kernels and
 * without (`selectKernels('webgpu', { fused })`), runs alternating in one process.
 *   npm run gpu:webgpu -- [--model small] [--videos 8] [--steps 12] [--sampler dpm++2m] [--pairs 8]
 *                         [--runs 3] [--kernel-runs 10] [--no-kernels] [--dawn backend=vulkan,…] [--json FILE]
 * Where there is no adapter (every CPU machine of ours) it prints why and exits with status 2.
 * A measurement that fails (a WebGPU error, a readback Dawn refuses) is reported as failed with
 * its message; the others still run.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { sampleVideos } from '../src/diffusion/sampler';
import { Policy } from '../src/engine/policy';
import { trainRound } from '../src/engine/train-round';
import { bench } from '../src/kernel-lab/bench-lab';
import { preferenceLoss, selectKernels } from '../src/kernels';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { roundHyper } from '../src/prefs/rounds';
import { parseArgs } from './lib/args';
import { adapterSummary, dawnAdapter, installNavigatorGpu, NoAdapterError } from './lib/dawn';
import { stepFixture } from './lib/step-fixture';

const args = parseArgs(
  process.argv.slice(2),
  { model: 'small', videos: '8', steps: '12', sampler: 'dpm++2m', pairs: '8', runs: '3', 'kernel-runs': '10', dawn: '', json: '' },
  ['no-kernels'],
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface Row { work: string; kernels: 'fused' | 'reference'; median_ms: number | null; runs_ms: number[]; error?: string }

async function main() {
  const { gpu, adapter } = await dawnAdapter(args.dawn ? args.dawn.split(',') : []);
  const info = adapterSummary(adapter);
  console.log(`adapter: ${[info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' | ')}${info.isFallbackAdapter ? ' (fallback)' : ''}`);
  console.log(`features: ${(info.features as string[]).join(', ')}`);

  // tfjs-backend-webgpu registers itself on import only where navigator.gpu exists.
  installNavigatorGpu(gpu);
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not start on the Dawn adapter');
  await tf.ready();
  const gpuErrors: string[] = [];
  const device = (tf.backend() as WebGPUBackend).device;
  device.addEventListener('uncapturederror', (e) => gpuErrors.push(String((e as GPUUncapturedErrorEvent).error.message)));

  const file = `public/models/${args.model}.safetensors`;
  const { config, params } = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), file);
  const pairs = Number(args.pairs);
  const videos = Number(args.videos);
  const { prompts, slots, sft } = stepFixture(config, pairs);
  const hyper = roundHyper({ steps: 1, batchSize: pairs });
  const work: Record<string, (fused: boolean) => Promise<number>> = {
    [`sampling ${videos} videos (${args.sampler} ${args.steps}, CFG), ms a video`]: async () => {
      const t0 = performance.now();
      await sampleVideos(params, config, { prompts: prompts.slice(0, videos), seeds: prompts.slice(0, videos).map((_, i) => 1000 + i), sampler: args.sampler as 'euler' | 'dpm++2m', steps: Number(args.steps) });
      return (performance.now() - t0) / videos;
    },
    [`DPO step (${pairs} pairs + ${Math.ceil(pairs / 2)} SFT samples), ms`]: async (fused) => {
      const { metrics } = await trainRound({ config, policy: new Policy(config, params), hyper, roundIndex: 1, slots, sft, lossFn: fused ? preferenceLoss : undefined });
      return metrics[0].ms;
    },
  };
  const rows: Row[] = [];
  for (const [name, run] of Object.entries(work)) {
    const runs: Record<Row['kernels'], number[]> = { fused: [], reference: [] };
    const errors: Partial<Record<Row['kernels'], string>> = {};
    for (let i = 0; i <= Number(args.runs); i++) { // run 0 warms up (pipeline compilation)
      for (const kernels of ['fused', 'reference'] as const) {
        if (errors[kernels]) continue;
        selectKernels('webgpu', { fused: kernels === 'fused' });
        try {
          const ms = await run(kernels === 'fused');
          if (i > 0) runs[kernels].push(ms);
        } catch (e) {
          errors[kernels] = message(e);
        }
      }
    }
    for (const kernels of ['fused', 'reference'] as const) {
      rows.push({ work: name, kernels, median_ms: runs[kernels].length ? median(runs[kernels]) : null, runs_ms: runs[kernels], error: errors[kernels] });
    }
  }
  selectKernels('webgpu', { fused: true });

  let kernelBench: unknown = null;
  if (!args['no-kernels']) {
    try {
      kernelBench = await bench({ runs: Number(args['kernel-runs']), warmup: 2, trainStep: true, trainPairs: 2 });
    } catch (e) {
      kernelBench = { error: message(e) };
    }
  }

  console.log(`\n${args.model} on ${info.description || info.vendor} (WebGPU on Dawn), medians of ${args.runs} after a warm-up, fused and reference alternating\n`);
  console.log('| work | fused kernels | reference paths | reference / fused |\n|---|---:|---:|---:|');
  for (const name of Object.keys(work)) {
    const [f, r] = (['fused', 'reference'] as const).map((k) => rows.find((row) => row.work === name && row.kernels === k)!);
    const cell = (row: Row) => (row.median_ms === null ? `failed: ${row.error}` : row.median_ms.toFixed(1));
    const ratio = f.median_ms && r.median_ms ? `${(r.median_ms / f.median_ms).toFixed(2)}×` : '';
    console.log(`| ${name} | ${cell(f)} | ${cell(r)} | ${ratio} |`);
  }
  if (kernelBench) console.log(`\nkernel benchmark (src/kernel-lab/bench-lab.ts, as npm run bench:kernels): ${args.json ? `in ${args.json}` : JSON.stringify(kernelBench, null, 2)}`);
  if (gpuErrors.length) console.log(`\nWebGPU errors during the run (the numbers they touch are not valid):\n${gpuErrors.join('\n')}`);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ model: args.model, adapter: info, runs: Number(args.runs), rows, kernel_bench: kernelBench, gpu_errors: gpuErrors }, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
}

main().catch((e) => {
  if (e instanceof NoAdapterError) {
    console.error(e.message);
    process.exit(2);
  }
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
