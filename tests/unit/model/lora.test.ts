import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { forward } from '../../../src/model/dit';
import { concatenateLoras, DEFAULT_LORA_CONFIG, LoraAdapter, mergeLora, resolveLoraTargets } from '../../../src/model/lora';
import { initParams, type Params } from '../../../src/model/params';
import { presetConfig } from '../../../src/model/presets';
import { tokenizeBatch } from '../../../src/model/tokenizer';
import { gaussianNoise } from '../../../src/diffusion/noise';

beforeAll(async () => {
  await useWasmBackend();
});

const config = presetConfig('tiny');

function setup() {
  const params: Params = initParams(config, 1, false);
  // A non-trivial base model: adaLN gates and the output projection must not be zero.
  for (const [name, t] of params) params.set(name, tf.add(t, tf.randomNormal(t.shape, 0, 0.05, 'float32', 7)));
  const { frames: f, height: h, width: w } = config;
  const x = tf.tensor5d(gaussianNoise(3, 2 * f * h * w * 3), [2, f, h, w, 3]);
  const t = tf.fill([2, f], 0.4) as tf.Tensor2D;
  const ids = tf.tensor2d(tokenizeBatch(['a red circle moves left', 'a green square grows'], config), [2, config.maxTextLength], 'int32');
  const run = (p: Params, adapter?: LoraAdapter) => forward(p, config, x, t, ids, { hooks: adapter?.hooks() });
  return { params, run };
}

function randomiseUp(adapter: LoraAdapter, seed: number) {
  for (const m of adapter.modules.values()) m.up.assign(tf.randomNormal(m.up.shape, 0, 0.1, 'float32', seed++));
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

describe('LoRA', () => {
  it('targets q, k, v, out of the three attentions in every block by default', () => {
    const modules = resolveLoraTargets(config, DEFAULT_LORA_CONFIG.targetModules);
    expect(modules).toHaveLength(3 * 4 * config.numLayers);
    expect(modules).toContain('transformer_blocks.0.attn_cross.to_k');
    expect(() => resolveLoraTargets(config, ['attn_spatial.to_z'])).toThrow(/"attn_spatial\.to_z" matches no Linear module/);
    // One misspelt target among good ones is named too, not dropped.
    expect(() => resolveLoraTargets(config, [...DEFAULT_LORA_CONFIG.targetModules, 'ff.fc3'])).toThrow(/"ff\.fc3" matches no Linear module of model "tiny"/);
    expect(() => resolveLoraTargets(config, [])).toThrow(/empty list of LoRA target modules/);
  });
  it('a fresh adapter (lora_B = 0) leaves the outputs unchanged', () => {
    const { params, run } = setup();
    const adapter = new LoraAdapter(config, { ...DEFAULT_LORA_CONFIG, rank: 3 }, 1);
    expect(maxDiff(run(params, adapter), run(params))).toBe(0);
  });
  it('enabled changes the outputs; disabled is exactly the base model', () => {
    const { params, run } = setup();
    const adapter = new LoraAdapter(config, DEFAULT_LORA_CONFIG, 2);
    randomiseUp(adapter, 10);
    expect(maxDiff(run(params, adapter), run(params))).toBeGreaterThan(1e-3);
    adapter.enabled = false;
    expect(maxDiff(run(params, adapter), run(params))).toBe(0);
  });
  it('merging folds the adapter into the weights (within 1e-5)', () => {
    const { params, run } = setup();
    const adapter = new LoraAdapter(config, { ...DEFAULT_LORA_CONFIG, rank: 2, alpha: 5 }, 3);
    randomiseUp(adapter, 20);
    expect(maxDiff(run(mergeLora(params, adapter)), run(params, adapter))).toBeLessThan(1e-5);
  });
  it('k rounds of rank r are exactly one LoRA of rank k·r (base + concatenation = merged weights)', () => {
    const { params } = setup();
    const rounds = [1, 2, 3].map((k) => {
      const a = new LoraAdapter(config, { ...DEFAULT_LORA_CONFIG, rank: 2, alpha: k }, 10 * k);
      randomiseUp(a, 100 * k);
      return a;
    });
    let merged = params;
    for (const a of rounds) merged = mergeLora(merged, a);
    const cumulative = concatenateLoras(rounds);
    for (const [name, { down, up }] of cumulative) {
      expect(down.shape[1]).toBe(6);
      const fromLora = tf.add(params.get(`${name}.weight`)!, tf.matMul(down, up));
      expect(maxDiff(fromLora, merged.get(`${name}.weight`)!)).toBeLessThan(1e-5);
    }
  });
  it('gradients reach only the adapter when training it', () => {
    const { params, run } = setup();
    const adapter = new LoraAdapter(config, DEFAULT_LORA_CONFIG, 4);
    const vars = [...adapter.variables().values()];
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(run(params, adapter))), vars);
    expect(Object.keys(grads)).toHaveLength(vars.length);
    // lora_B gets a gradient at zero; lora_A does not yet (it is multiplied by B = 0).
    const upNorm = tf.sum(tf.abs(grads[adapter.modules.get('transformer_blocks.0.attn_spatial.to_q')!.up.name])).dataSync()[0];
    expect(upNorm).toBeGreaterThan(0);
  });
});
