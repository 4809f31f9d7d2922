import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setAttentionImplementation } from '../model/attention';
import { attention2d } from '../model/attention-2d';
import { shareIdentityOnWasm } from './wasm-identity';

// Node only (scripts and unit tests): the studio's worker starts its backend in runtime.ts.

/**
 * tfjs in Node on the WASM backend (SIMD, one thread): ~25 GFLOP/s on plain 2-D matmuls here,
 * ~30× tfjs's CPU backend. Scripts and unit tests that run the model call this first. It sets the
 * attention path `selectKernels('wasm')` sets in the studio (src/kernels, which tsx cannot load:
 * its WGSL sources are `?raw` imports): attention as 2-D matmuls (src/model/attention-2d.ts), and
 * the zero-copy Identity the worker installs too (src/engine/wasm-identity.ts).
 */
export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  const require = createRequire(import.meta.url);
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  setWasmPaths(dist);
  if (!(await tf.setBackend('wasm'))) throw new Error('Could not initialise the tfjs WASM backend');
  await tf.ready();
  shareIdentityOnWasm();
  setAttentionImplementation(attention2d);
}

export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') return useWasmBackend();
  await tf.setBackend('cpu');
  await tf.ready();
}
