import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { loraModuleShapes } from '../../../src/engine/lora-snapshot';
import { Policy } from '../../../src/engine/policy';
import { exportDiffusers, exportPeft, importDiffusers, importLoraFiles, importPeft, LoraImportError, type LoraTensors } from '../../../src/io/lora';
import { parseSafetensors, serializeSafetensors, type TensorEntry } from '../../../src/io/safetensors';
import { presetConfig } from '../../../src/model/presets';
import { concatenateSnapshots, snapshotFromArrays } from '../../../src/prefs/lora-data';
import type { LoraModuleArrays } from '../../../src/io/lora-values';
import { DEFAULT_LORA_TARGETS } from '../../../src/model/lora-targets';
import { gaussianNoise } from '../../../src/diffusion/noise';
import { paramsDiff, tinyConfig as config, tinyParams } from '../fixtures/prefs';

beforeAll(async () => {
  await useWasmBackend();
});

const shapes = loraModuleShapes(config);

/** A random adapter on the default targets of the tiny model, rank r. */
function randomLora(rank: number, alpha: number, seed: number): LoraTensors {
  const modules = new Map<string, LoraModuleArrays>();
  let s = seed;
  for (const [name, { inFeatures, outFeatures }] of shapes) {
    if (!DEFAULT_LORA_TARGETS.some((t) => name.endsWith(t))) continue;
    modules.set(name, { inFeatures, outFeatures, rank, loraA: gaussianNoise(s++, rank * inFeatures), loraB: gaussianNoise(s++, outFeatures * rank) });
  }
  return { rank, alpha, targetModules: [...DEFAULT_LORA_TARGETS], modules };
}

const lora = randomLora(6, 6, 1);
const opts = { baseModel: 'vpo-studio/tiny', provenance: { rounds: '3' } };

describe('peft export', () => {
  const files = exportPeft(lora, opts);
  const { tensors, metadata } = parseSafetensors(files['adapter_model.safetensors'], 'adapter_model.safetensors');
  it('keys base_model.model.<module>.lora_A/B.weight with shapes [r, in] and [out, r], format pt', () => {
    expect(tensors.size).toBe(2 * lora.modules.size);
    const m = 'transformer_blocks.1.attn_cross.to_k';
    const { inFeatures, outFeatures } = shapes.get(m)!;
    expect(tensors.get(`base_model.model.${m}.lora_A.weight`)!.shape).toEqual([6, inFeatures]);
    expect(tensors.get(`base_model.model.${m}.lora_B.weight`)!.shape).toEqual([outFeatures, 6]);
    for (const key of tensors.keys()) expect(key).toMatch(/^base_model\.model\.transformer_blocks\.\d+\.attn_(spatial|temporal|cross)\.to_(q|k|v|out)\.lora_[AB]\.weight$/);
    expect(metadata).toEqual({ format: 'pt', rounds: '3' });
    expect(Array.from(tensors.get(`base_model.model.${m}.lora_B.weight`)!.data as Float32Array)).toEqual(Array.from(lora.modules.get(m)!.loraB));
  });
  it('adapter_config.json is a peft LoraConfig: peft_type LORA, r, lora_alpha, target_modules, base model', () => {
    const config = JSON.parse(files['adapter_config.json']);
    expect(config).toMatchObject({ peft_type: 'LORA', r: 6, lora_alpha: 6, base_model_name_or_path: 'vpo-studio/tiny', use_dora: false, bias: 'none' });
    expect(config.target_modules).toEqual([...lora.modules.keys()].sort());
  });
  it('round trip: import gives back the same tensors, rank and scale', () => {
    const back = importPeft(files['adapter_model.safetensors'], files['adapter_config.json'], shapes);
    expect(back.format).toBe('peft');
    expect(back.rank).toBe(6);
    expect(back.scale).toBe(1);
    for (const [name, m] of lora.modules) {
      expect(Array.from(back.modules.get(name)!.loraA)).toEqual(Array.from(m.loraA));
      expect(Array.from(back.modules.get(name)!.loraB)).toEqual(Array.from(m.loraB));
    }
  });
});

describe('diffusers export', () => {
  const bytes = exportDiffusers(lora, opts);
  const { tensors, metadata } = parseSafetensors(bytes, 'pytorch_lora_weights.safetensors');
  it('keys transformer.<module>.lora_A/B.weight, __metadata__ format pt with lora_adapter_metadata', () => {
    expect([...tensors.keys()].every((k) => /^transformer\.transformer_blocks\.\d+\..+\.lora_[AB]\.weight$/.test(k))).toBe(true);
    expect(metadata.format).toBe('pt');
    const adapter = JSON.parse(metadata.lora_adapter_metadata);
    expect(adapter).toMatchObject({ 'transformer.r': 6, 'transformer.lora_alpha': 6, 'transformer.peft_type': 'LORA' });
  });
  it('round trip, and the importer tells the two formats apart by file name or keys', () => {
    const back = importLoraFiles([{ name: 'downloads/pytorch_lora_weights.safetensors', bytes }], shapes);
    expect(back.format).toBe('diffusers');
    expect(Array.from(back.modules.get('transformer_blocks.0.attn_spatial.to_q')!.loraA)).toEqual(Array.from(lora.modules.get('transformer_blocks.0.attn_spatial.to_q')!.loraA));
    const peft = exportPeft(lora, opts);
    const viaFolder = importLoraFiles([{ name: 'adapter_config.json', bytes: new TextEncoder().encode(peft['adapter_config.json']) }, { name: 'adapter_model.safetensors', bytes: peft['adapter_model.safetensors'] }], shapes);
    expect(viaFolder.format).toBe('peft');
    expect(importLoraFiles([{ name: 'my-adapter.safetensors', bytes: peft['adapter_model.safetensors'] }], shapes).format).toBe('peft');
  });
  it('α from lora_adapter_metadata sets the scale; without metadata α = r (scale 1)', () => {
    const half = importDiffusers(exportDiffusers({ ...lora, alpha: 3 }, opts), shapes);
    expect(half.scale).toBe(0.5);
    const bare = serializeSafetensors(tensors, { format: 'pt' });
    expect(importDiffusers(bare, shapes).scale).toBe(1);
  });
});

describe('import rejects what it cannot apply, naming the problem', () => {
  const peft = exportPeft(lora, opts);
  const weights = peft['adapter_model.safetensors'];
  const { tensors } = parseSafetensors(weights, 'x');
  const rewrite = (edit: (t: Map<string, TensorEntry>) => void) => {
    const copy = new Map(tensors);
    edit(copy);
    return serializeSafetensors(copy, { format: 'pt' });
  };
  const reject = (fn: () => unknown, pattern: RegExp) => {
    expect(fn).toThrow(LoraImportError);
    expect(fn).toThrow(pattern);
  };
  const key = 'base_model.model.transformer_blocks.0.attn_spatial.to_v.lora_A.weight';

  it('a corrupt or truncated file', () => {
    reject(() => importPeft(weights.slice(0, 100), null, shapes), /adapter_model\.safetensors: is not a readable safetensors file/);
    reject(() => importPeft(new TextEncoder().encode('not a file at all'), null, shapes), /not a readable safetensors file/);
  });
  it('a wrong key: unknown layout, unknown module, the other format', () => {
    reject(() => importPeft(rewrite((t) => t.set('base_model.model.transformer_blocks.0.attn_spatial.to_v.lora_down.weight', t.get(key)!)), null, shapes), /unexpected tensor ".*lora_down\.weight"/);
    reject(() => importPeft(rewrite((t) => t.set('base_model.model.transformer_blocks.9.attn_spatial.to_v.lora_A.weight', t.get(key)!)), null, shapes), /module "transformer_blocks\.9\.attn_spatial\.to_v", which this model does not have/);
    reject(() => importDiffusers(weights, shapes, 'pytorch_lora_weights.safetensors'), /keys start with "transformer\."; is this the peft file\?/);
    reject(() => importPeft(rewrite((t) => t.delete(key.replace('lora_A', 'lora_B'))), null, shapes), /has lora_A but no lora_B/);
  });
  it('a wrong shape: an adapter for another model, or A and B that disagree', () => {
    const small = loraModuleShapes(presetConfig('small'));
    reject(() => importPeft(weights, null, small), /lora_A\.weight" has shape \[6, 32\] but the model's module takes 96 inputs/);
    const a = tensors.get(key)!;
    reject(() => importPeft(rewrite((t) => t.set(key, { ...a, shape: [3, 64], data: a.data })), null, shapes), /expected \[r, 32\]/);
    reject(() => importPeft(rewrite((t) => t.set(key, { ...a, shape: [4, 32], data: (a.data as Float32Array).slice(0, 128) })), null, shapes), /lora_B\.weight" has shape \[32, 6\] but expected \[32, 4\]/);
  });
  it('a config that does not fit: bad JSON, r ≠ the tensors, DoRA, another peft type', () => {
    const cfg = JSON.parse(peft['adapter_config.json']);
    reject(() => importPeft(weights, '{r: 6', shapes), /adapter_config\.json: is not valid JSON/);
    reject(() => importPeft(weights, JSON.stringify({ ...cfg, r: 8 }), shapes), /says r = 8 but lora_A has rank 6/);
    reject(() => importPeft(weights, JSON.stringify({ ...cfg, use_dora: true }), shapes), /DoRA/);
    reject(() => importPeft(weights, JSON.stringify({ ...cfg, peft_type: 'IA3' }), shapes), /only "LORA"/);
    reject(() => importPeft(rewrite((t) => t.set(key, { ...tensors.get(key)!, data: new Float32Array(192).fill(NaN) })), null, shapes), /NaN/);
  });
});

describe('export → import → merge', () => {
  it('the imported cumulative LoRA of several rounds reproduces the merged policy within 1e-5', () => {
    const rounds = [randomLora(2, 4, 10), randomLora(2, 1, 20), randomLora(2, 2, 30)].map((l) => {
      // Small weights, as trained adapters have.
      for (const m of l.modules.values()) m.loraB = m.loraB.map((x) => 0.01 * x);
      return snapshotFromArrays(l);
    });
    const live = new Policy(config, tinyParams());
    rounds.forEach((r) => live.merge(r));
    const cumulative = concatenateSnapshots(rounds);
    const imported = importLoraFiles([{ name: 'pytorch_lora_weights.safetensors', bytes: exportDiffusers(cumulative, opts) }], shapes);
    expect(imported.rank).toBe(6);
    const fresh = new Policy(config, live.base);
    fresh.merge(snapshotFromArrays(imported));
    expect(paramsDiff(fresh.params, live.params)).toBeLessThan(1e-5);
    expect(paramsDiff(live.params, live.base)).toBeGreaterThan(1e-3);
  });
});
