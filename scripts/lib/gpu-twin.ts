// What the GPU twin (gpu/twin.py) reads from the TypeScript side: the batch records of
// scripts/gpu-batches.ts and the model info (parameter inventory, fixed position codes), so the
// Python side restates only the forward pass, which tests/unit/scripts/gpu-twin.test.ts holds to dit.ts.
import type { ModelConfig } from '../../src/model/config';
import { fixedPositionCodes } from '../../src/model/positions';
import { parameterSpecs } from '../../src/model/param-specs';
import type { PretrainBatch } from './pretrain-batch';

/** One record of the batch stream (layout in scripts/gpu-batches.ts). */
export function encodeRecord(step: number, batch: PretrainBatch): Buffer {
  const parts = [batch.x0, batch.ids, batch.t, Uint8Array.from(batch.firstFrame, (f) => (f ? 1 : 0))];
  const body = Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const head = Buffer.alloc(16);
  head.write('VPOB', 0, 'ascii');
  head.writeUInt32LE(step, 4);
  head.writeUInt32LE(batch.t.length, 8);
  head.writeUInt32LE(body.length, 12);
  return Buffer.concat([head, body]);
}

/** The twin's model info: parameter specs (PyTorch shapes, initialisers) and the fixed codes. */
export function modelInfo(c: ModelConfig) {
  const { spatial, frames } = fixedPositionCodes(c);
  return {
    specs: parameterSpecs(c).map(({ name, torchShape, init }) => ({ name, torchShape, init })),
    codes: { spatial: Array.from(spatial), frames: Array.from(frames) },
  };
}
