import * as tf from '@tensorflow/tfjs';

/**
 * A zero-copy Identity kernel for tfjs-wasm. The engine runs Identity for every tensor a gradient
 * saves (tfjs-core's `engine.clone`, called by each op's save function and by every
 * `tf.customGrad` that saves), and tfjs-wasm's own Identity copies the whole tensor into new
 * memory: in a DPO step of `small` that was ~1,000 copies of [tokens, 96] activations, ~5 % of the
 * step. Tensors are immutable, so the clone can share its input's memory, as tfjs-wasm's own
 * Reshape and tfjs-webgl's Identity do: one more reference to the same data, freed when the last
 * tensor that holds it is disposed. String tensors keep the copying kernel.
 */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

let original: tf.KernelConfig | undefined;

export function shareIdentityOnWasm(): void {
  if (original) return;
  original = tf.getKernel('Identity', 'wasm');
  if (!original) throw new Error('shareIdentityOnWasm: the tfjs-wasm backend is not registered (import @tensorflow/tfjs-backend-wasm first)');
  const copying = original.kernelFunc;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return copying(args);
      (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** Back to tfjs-wasm's copying Identity (tests; A/B measurements). */
export function restoreCopyingIdentity(): void {
  if (!original) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(original);
  original = undefined;
}
