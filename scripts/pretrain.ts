/**
 * Pretrain the video DiT on the procedural world (tfjs-wasm, one CPU core).
 *   npm run pretrain -- [--config small] [--steps N] [--resume] [--batch 16] [--lr 1e-3] [--decay-steps K]
 * The learning rate follows warm-up and a cosine over --schedule-steps; --decay-steps K anneals it
 * linearly to zero over the last K steps before --steps (resume later with a larger --steps and it
 * returns to the cosine).
 * Seeded and resumable: batch k is a pure function of (seed, k), so a resumed run sees exactly
 * the batches an uninterrupted one would. Prints step, loss, s/step and ETA; writes the EMA model
 * to public/models/<config>.safetensors and the optimiser state to
 * checkpoints/<config>.state.safetensors every --save-every steps and on Ctrl-C / SIGTERM.
 * --focus-actions A,B --focus-rate r: a curriculum — a fraction r of each batch takes its action
 * from the list (the rest stay uniform over all actions).
 * --train-only PREFIX: train only the parameters named PREFIX… (e.g. "transformer_blocks.3."), the
 * rest frozen at the EMA weights.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss } from '../src/diffusion/flow';
import { adamStep, createAdamState, emaUpdate, warmupCosine, withFinalDecay, type AdamState } from '../src/diffusion/optim';
import type { ModelConfig } from '../src/model/config';
import { countParameters, initParams, type Params } from '../src/model/params';
import { presetConfig } from '../src/model/presets';
import { parseArgs } from './lib/args';
import { withScheduleFlags } from './lib/config-flags';
import { useWasmBackend } from '../src/engine/tf-node';
import { batchOptionsFromArgs, PRETRAIN_BATCH_FLAGS, pretrainBatch } from './lib/pretrain-batch';
import { loadTrainState, saveTrainState, type RunInfo } from './lib/train-state';

const args = parseArgs(process.argv.slice(2), {
  config: 'small', steps: '20000', batch: '16', lr: '1e-3', warmup: '200', 'schedule-steps': '40000',
  'decay-steps': '0', 'save-every': '250', 'log-every': '10', seed: '1', 'ema-decay': '0.999',
  'model-out': '', 'state-out': '', 'train-only': '',
  ...PRETRAIN_BATCH_FLAGS,
  // Schedule fields of the config; given on --resume they replace the checkpoint's (shapes unchanged).
  'noise-correlation': '', 'time-shift': '', 'position-encoding': '',
}, ['resume']);

const configName = args.config;
const modelFile = args['model-out'] || `public/models/${configName}.safetensors`;
const stateFile = args['state-out'] || `checkpoints/${configName}.state.safetensors`;
const targetSteps = Number(args.steps);
const batchSize = Number(args.batch);
const batchOptions = batchOptionsFromArgs(args, batchSize, true);

/** The batch of step k as tensors: a pure function of (seed, k) (scripts/lib/pretrain-batch.ts). */
function makeBatch(config: ModelConfig, seed: number, step: number) {
  const data = pretrainBatch(config, seed, step, batchOptions);
  const dims = [batchSize, config.frames, config.height, config.width, 3] as [number, number, number, number, number];
  return {
    x0: tf.tensor5d(data.x0, dims),
    eps: tf.tensor5d(data.eps!, dims),
    ids: tf.tensor2d(data.ids, [batchSize, config.maxTextLength], 'int32'),
    t: data.t,
    firstFrame: data.firstFrame,
  };
}

function asVariables(p: Params): Map<string, tf.Variable> {
  return p as unknown as Map<string, tf.Variable>;
}

async function main() {
  await useWasmBackend();
  let config: ModelConfig;
  let params: Params;
  let ema: Params;
  let adam: AdamState;
  let info: RunInfo;
  if (args.resume === 'true' && fs.existsSync(stateFile) && fs.existsSync(modelFile)) {
    const s = loadTrainState(modelFile, stateFile);
    ({ config, params, ema, info } = s);
    adam = { step: info.step, m: s.m, v: s.v };
    console.log(`resumed ${configName} from step ${info.step} (${(info.wallSeconds / 3600).toFixed(2)} h so far)`);
  } else {
    if (args.resume === 'true') console.log(`--resume: no state at ${stateFile}; starting fresh`);
    config = presetConfig(configName);
    params = initParams(config, Number(args.seed));
    ema = initParams(config, Number(args.seed));
    adam = createAdamState(asVariables(params));
    info = { step: 0, wallSeconds: 0, seed: Number(args.seed), lossHistory: [] };
  }
  config = withScheduleFlags(config, args, ['noise-correlation', 'time-shift', 'position-encoding'], 'pretrain flags');
  console.log(`config ${config.name}: ${countParameters(config)} parameters, batch ${batchSize}, target step ${targetSteps}`);
  const vars = asVariables(params);
  // --train-only PREFIX: only parameters whose names start with it train; the rest stay at the
  // shipped (EMA) weights, and no gradient flows into them (tfjs differentiates only towards varList).
  const trainOnly = args['train-only'];
  const names = [...vars.keys()].filter((n) => n.startsWith(trainOnly));
  if (names.length === 0) throw new Error(`--train-only "${trainOnly}" matches no parameter; try "transformer_blocks.3." or "proj_out."`);
  if (trainOnly !== '') {
    for (const [name, v] of vars) if (!name.startsWith(trainOnly)) v.assign(ema.get(name)!);
    console.log(`--train-only ${trainOnly}: ${names.length} of ${vars.size} tensors train; the others are frozen at the EMA weights`);
  }
  const varList = names.map((n) => vars.get(n)!);

  let stopping = false;
  const save = () => {
    saveTrainState(modelFile, stateFile, config, params, ema, adam, info);
    console.log(`saved step ${info.step} -> ${modelFile}, ${stateFile}`);
  };
  const onSignal = () => { stopping = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let windowLoss = 0, windowCount = 0, windowStart = Date.now();
  const logEvery = Number(args['log-every']);
  while (info.step < targetSteps && !stopping) {
    const stepStart = Date.now();
    const batch = makeBatch(config, info.seed, info.step);
    const { value, grads } = tf.variableGrads(() => flowMatchingLoss(params, config, batch), varList);
    const gradMap = new Map(names.map((n, i) => [n, grads[varList[i].name]]));
    const lr = withFinalDecay(info.step, targetSteps, Number(args['decay-steps']),
      (step) => warmupCosine(step, Number(args.lr), Number(args.warmup), Number(args['schedule-steps'])));
    const gradNorm = adamStep(vars, gradMap, adam, { lr, clipNorm: 1 }); // skips the frozen (no gradient)
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads), batch.x0, batch.eps, batch.ids]);
    emaUpdate(asVariables(ema), vars, Math.min(Number(args['ema-decay']), (1 + info.step) / (10 + info.step)));
    info.step += 1;
    info.wallSeconds += (Date.now() - stepStart) / 1000;
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${info.step}; lower --lr and resume from the last checkpoint`);
    windowLoss += loss; windowCount++;
    if (info.step % logEvery === 0) {
      const secPerStep = (Date.now() - windowStart) / 1000 / windowCount;
      const mean = windowLoss / windowCount;
      info.lossHistory.push([info.step, Number(mean.toFixed(5))]);
      const eta = (targetSteps - info.step) * secPerStep;
      console.log(`step ${info.step}/${targetSteps} loss ${mean.toFixed(4)} grad-norm ${gradNorm.toFixed(2)} lr ${lr.toExponential(2)} ${secPerStep.toFixed(2)} s/step ETA ${(eta / 3600).toFixed(2)} h (tensors ${tf.memory().numTensors})`);
      windowLoss = 0; windowCount = 0; windowStart = Date.now();
    }
    if (info.step % Number(args['save-every']) === 0) save();
    await new Promise((r) => setImmediate(r)); // let signals through
  }
  save();
  console.log(`done at step ${info.step}; ${(info.wallSeconds / 3600).toFixed(2)} h of training in total`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
