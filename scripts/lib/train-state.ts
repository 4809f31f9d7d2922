import fs from 'node:fs';
import path from 'node:path';
import { parseSafetensors, serializeSafetensors, type TensorEntry } from '../../src/io/safetensors';
import { checkpointFromBytes, checkpointToBytes, configFromMetadata, paramsFromTensors, paramsToTensors } from '../../src/model/checkpoint';
import type { ModelConfig } from '../../src/model/config';
import type { Params } from '../../src/model/params';
import type { AdamState } from '../../src/diffusion/optim';

/**
 * Pretraining state, split in two files so the shipped model stays small:
 *  - the model file (public/models/<config>.safetensors): EMA weights, a normal checkpoint;
 *  - the state file (checkpoints/<config>.state.safetensors): raw weights (F32) and Adam moments
 *    (BF16: same exponent range as F32, half the bytes; moments need no more precision) and the
 *    run's bookkeeping in __metadata__ (step, wall time, loss history).
 */
export interface RunInfo {
  step: number;
  wallSeconds: number;
  seed: number;
  /** [step, mean loss over the preceding log window]. */
  lossHistory: [number, number][];
}

/** Round-to-nearest-even F32 → BF16 bits. */
export function float32ToBF16(data: Float32Array): Uint16Array {
  const u32 = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < u32.length; i++) {
    const x = u32[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) { out[i] = 0x7fc0; continue; } // NaN
    out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** Adam moments keep F32's exponent range in BF16 at half the bytes. */
function asBF16(tensors: Record<string, TensorEntry>): Record<string, TensorEntry> {
  for (const entry of Object.values(tensors)) Object.assign(entry, { dtype: 'BF16', data: float32ToBF16(entry.data as Float32Array) });
  return tensors;
}

function writeAtomic(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export function saveTrainState(modelFile: string, stateFile: string, config: ModelConfig, params: Params, ema: Params, adam: AdamState, info: RunInfo): void {
  const lastLoss = info.lossHistory.length ? info.lossHistory[info.lossHistory.length - 1][1] : NaN;
  writeAtomic(modelFile, checkpointToBytes(config, ema, {
    step: String(info.step),
    loss: lastLoss.toFixed(5),
    train_wall_seconds: info.wallSeconds.toFixed(0),
    trainer: 'npm run pretrain (tfjs-wasm, EMA weights)',
  }));
  const tensors: Record<string, TensorEntry> = {
    ...paramsToTensors(config, params, 'param.'),
    ...asBF16(paramsToTensors(config, adam.m, 'adam_m.')),
    ...asBF16(paramsToTensors(config, adam.v, 'adam_v.')),
  };
  writeAtomic(stateFile, serializeSafetensors(tensors, {
    format: 'pt',
    config: JSON.stringify(config),
    run: JSON.stringify(info),
  }));
}

function prefixed(tensors: Map<string, TensorEntry>, prefix: string): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const [k, v] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

export function loadTrainState(modelFile: string, stateFile: string): { config: ModelConfig; params: Params; ema: Params; m: Params; v: Params; info: RunInfo } {
  const emaCk = checkpointFromBytes(new Uint8Array(fs.readFileSync(modelFile)), modelFile, { trainable: true });
  const { tensors, metadata } = parseSafetensors(new Uint8Array(fs.readFileSync(stateFile)), stateFile);
  const config = configFromMetadata(metadata.config, stateFile);
  if (JSON.stringify(config) !== JSON.stringify(emaCk.config)) {
    throw new Error(`${stateFile} and ${modelFile} were written for different configs; delete the state file to start over, or restore the matching model file.`);
  }
  return {
    config,
    params: paramsFromTensors(config, prefixed(tensors, 'param.'), stateFile, { trainable: true }),
    ema: emaCk.params,
    m: paramsFromTensors(config, prefixed(tensors, 'adam_m.'), stateFile),
    v: paramsFromTensors(config, prefixed(tensors, 'adam_v.'), stateFile),
    info: JSON.parse(metadata.run) as RunInfo,
  };
}
