import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLora, LoraImportError, loraExportZip } from '../../../src/export/lora-zip';
import { createZip, readZip } from '../../../src/export/zip';
import { parseSafetensors, serializeSafetensors, type TensorEntry } from '../../../src/io/safetensors';
import { loraModuleShapes } from '../../../src/model/param-specs';
import { presetConfig } from '../../../src/model/presets';
import { decodeSnapshot, snapshotFromArrays, concatenateSnapshots } from '../../../src/prefs/lora-data';
import type { LoraModuleArrays } from '../../../src/io/lora-values';
import { DEFAULT_LORA_TARGETS } from '../../../src/model/lora-targets';
import type { LoraSnapshot } from '../../../src/prefs/types';
import { makeRng } from '../../../src/world/rng';
import { rejection } from '../fixtures/export';

const config = presetConfig('tiny');
const shapes = loraModuleShapes(config);
const targets = [...shapes.keys()].filter((name) => DEFAULT_LORA_TARGETS.some((t) => name.endsWith(t)));

/** A round's adapter with random weights on the default targets. */
function randomSnapshot(rank: number, alpha: number, seed: number): LoraSnapshot {
  const rng = makeRng(seed);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
  const modules = new Map<string, LoraModuleArrays>();
  for (const name of targets) {
    const { inFeatures, outFeatures } = shapes.get(name)!;
    modules.set(name, { inFeatures, outFeatures, rank, loraA: values(rank * inFeatures), loraB: values(outFeatures * rank) });
  }
  return snapshotFromArrays({ rank, alpha, targetModules: [...DEFAULT_LORA_TARGETS], modules });
}

/** ΔW = Σ_k (α_k/r_k)·B_k·A_k for one module, [out, in], in float64. */
function delta(snapshots: LoraSnapshot[], name: string): Float64Array {
  const { inFeatures, outFeatures } = shapes.get(name)!;
  const out = new Float64Array(outFeatures * inFeatures);
  for (const s of snapshots) {
    const m = decodeSnapshot(s).get(name)!;
    const scale = s.alpha / s.rank;
    for (let o = 0; o < outFeatures; o++) {
      for (let i = 0; i < inFeatures; i++) {
        let sum = 0;
        for (let j = 0; j < s.rank; j++) sum += m.loraB[o * s.rank + j] * m.loraA[j * inFeatures + i];
        out[o * inFeatures + i] += scale * sum;
      }
    }
  }
  return out;
}

const rounds = [randomSnapshot(2, 4, 1), randomSnapshot(3, 3, 2), randomSnapshot(1, 0.5, 3)];
const zip = loraExportZip(rounds, config, { baseModelName: 'vpo-studio/tiny' });

describe('loraExportZip', () => {
  it('holds the peft folder, the diffusers file and a README', async () => {
    const files = await readZip(zip, 'lora.zip');
    expect([...files.keys()].sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors', 'pytorch_lora_weights.safetensors']);
    const readme = new TextDecoder().decode(files.get('README.md'));
    expect(readme).toContain('PeftModel.from_pretrained');
    expect(readme).toContain('load_lora_weights');
    expect(readme).toContain('transformer.<module>.lora_A.weight');
  });

  it('peft: base_model.model.<module>.lora_A [r, in] / lora_B [out, r] with r = the sum of the rounds’ ranks, format pt', async () => {
    const files = await readZip(zip, 'lora.zip');
    const { tensors, metadata } = parseSafetensors(files.get('adapter_model.safetensors')!, 'adapter_model.safetensors');
    expect(tensors.size).toBe(2 * targets.length);
    for (const name of targets) {
      const { inFeatures, outFeatures } = shapes.get(name)!;
      expect(tensors.get(`base_model.model.${name}.lora_A.weight`)!.shape).toEqual([6, inFeatures]);
      expect(tensors.get(`base_model.model.${name}.lora_B.weight`)!.shape).toEqual([outFeatures, 6]);
      expect(tensors.get(`base_model.model.${name}.lora_A.weight`)!.dtype).toBe('F32');
    }
    expect(metadata).toMatchObject({ format: 'pt', rounds: '3', round_ranks: '[2,3,1]' });
    expect(JSON.parse(metadata.model_config).name).toBe('tiny');
    const adapterConfig = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json')));
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', r: 6, lora_alpha: 6, base_model_name_or_path: 'vpo-studio/tiny' });
    expect(adapterConfig.target_modules).toEqual([...targets].sort());
  });

  it('diffusers: transformer.<module> keys, format pt, lora_adapter_metadata with r', async () => {
    const files = await readZip(zip, 'lora.zip');
    const { tensors, metadata } = parseSafetensors(files.get('pytorch_lora_weights.safetensors')!, 'pytorch_lora_weights.safetensors');
    expect([...tensors.keys()].every((k) => /^transformer\.transformer_blocks\.\d+\.attn_(spatial|temporal|cross)\.to_(q|k|v|out)\.lora_[AB]\.weight$/.test(k))).toBe(true);
    expect(metadata.format).toBe('pt');
    expect(JSON.parse(metadata.lora_adapter_metadata)).toMatchObject({ 'transformer.r': 6, 'transformer.lora_alpha': 6 });
  });

  it('the exported B·A equals the sum of the rounds’ (α/r)·B·A within 1e-5', async () => {
    const files = await readZip(zip, 'lora.zip');
    const { tensors } = parseSafetensors(files.get('pytorch_lora_weights.safetensors')!, 'x');
    const exported = snapshotFromArrays({
      rank: 6, alpha: 6, targetModules: [],
      modules: new Map(targets.map((name) => {
        const { inFeatures, outFeatures } = shapes.get(name)!;
        const a = tensors.get(`transformer.${name}.lora_A.weight`)!.data as Float32Array;
        const b = tensors.get(`transformer.${name}.lora_B.weight`)!.data as Float32Array;
        return [name, { inFeatures, outFeatures, rank: 6, loraA: a.slice(), loraB: b.slice() }];
      })),
    });
    let worst = 0;
    for (const name of targets) {
      const want = delta(rounds, name);
      const got = delta([exported], name);
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...delta(rounds, targets[0]).map(Math.abs))).toBeGreaterThan(0.1); // not trivially zero
  });

  it('refuses rounds trained on another model, and an empty list', () => {
    const small = presetConfig('small');
    expect(() => loraExportZip(rounds, small, { baseModelName: 'vpo-studio/small' })).toThrow(/has shape \[32, 32\] but the model's is \[96, 96\]/);
    expect(() => loraExportZip([], config, { baseModelName: 'x' })).toThrow(/Run a round first/);
  });
});

describe('importLora', () => {
  const cumulative = snapshotFromArrays(concatenateSnapshots(rounds));

  it('our own zip comes back as the same snapshot values (rank Σr, α = r)', async () => {
    const back = await importLora([{ name: 'vpo-lora.zip', bytes: zip }], config);
    expect(back.rank).toBe(6);
    expect(back.alpha).toBe(6);
    expect(back.modules).toEqual(cumulative.modules);
  });

  it('also from the loose peft files, the diffusers file alone, or a zip of a folder', async () => {
    const files = await readZip(zip, 'lora.zip');
    const peft = await importLora(['adapter_model.safetensors', 'adapter_config.json'].map((name) => ({ name, bytes: files.get(name)! })), config);
    expect(peft.modules).toEqual(cumulative.modules);
    const diffusers = await importLora([{ name: 'pytorch_lora_weights.safetensors', bytes: files.get('pytorch_lora_weights.safetensors')! }], config);
    expect(diffusers.modules).toEqual(cumulative.modules);
    expect(diffusers.alpha / diffusers.rank).toBe(1);
    const nested = createZip([
      { name: 'my-lora/adapter_model.safetensors', data: files.get('adapter_model.safetensors')! },
      { name: 'my-lora/adapter_config.json', data: files.get('adapter_config.json')! },
      { name: '__MACOSX/my-lora/._adapter_model.safetensors', data: 'resource fork' },
    ]);
    expect((await importLora([{ name: 'folder.zip', bytes: nested }], config)).modules).toEqual(cumulative.modules);
  });

  describe('rejects a bad file with a LoraImportError naming it', () => {
    const peftBytes = async () => (await readZip(zip, 'lora.zip')).get('adapter_model.safetensors')!;
    const rewrite = async (edit: (t: Map<string, TensorEntry>) => void) => {
      const { tensors, metadata } = parseSafetensors(await peftBytes(), 'x');
      const copy = new Map(tensors);
      edit(copy);
      return serializeSafetensors(copy, metadata);
    };
    const key = `base_model.model.${targets[0]}.lora_A.weight`;
    const expectImportError = async (files: { name: string; bytes: Uint8Array }[], pattern: RegExp) => {
      const e = await rejection(importLora(files, config));
      expect(e).toBeInstanceOf(LoraImportError);
      expect(e.message).toMatch(pattern);
    };

    it('a wrong shape', async () => {
      const bytes = await rewrite((t) => {
        const a = t.get(key)!;
        t.set(key, { ...a, shape: [6, 16], data: (a.data as Float32Array).slice(0, 96) });
      });
      await expectImportError([{ name: 'wrong-shape.safetensors', bytes }], /^wrong-shape\.safetensors: .*lora_A\.weight" has shape \[6, 16\] but the model's module takes 32 inputs/);
    });
    it('a foreign key: a module the model lacks, or another layout', async () => {
      const unknown = await rewrite((t) => t.set('base_model.model.unet.mid_block.to_q.lora_A.weight', t.get(key)!));
      await expectImportError([{ name: 'adapter_model.safetensors', bytes: unknown }], /^adapter_model\.safetensors: .*module "unet\.mid_block\.to_q", which this model does not have/);
      const kohya = await rewrite((t) => t.set('lora_unet_down_blocks_0.lora_down.weight', t.get(key)!));
      await expectImportError([{ name: 'kohya.safetensors', bytes: kohya }], /^kohya\.safetensors: unexpected tensor "lora_unet_down_blocks_0\.lora_down\.weight"/);
    });
    it('a wrong dtype', async () => {
      const bytes = await rewrite((t) => {
        const a = t.get(key)!;
        t.set(key, { dtype: 'I32', shape: a.shape, data: new Int32Array(a.data.length) });
      });
      await expectImportError([{ name: 'ints.safetensors', bytes }], /^ints\.safetensors: tensor ".*lora_A\.weight" has dtype I32, expected a floating-point tensor/);
    });
    it('a truncated file or zip', async () => {
      const bytes = await peftBytes();
      await expectImportError([{ name: 'adapter_model.safetensors', bytes: bytes.slice(0, bytes.length - 100) }], /^adapter_model\.safetensors: is not a readable safetensors file/);
      await expectImportError([{ name: 'lora.zip', bytes: zip.slice(0, zip.length - 30) }], /^lora\.zip: .*truncated/);
    });
    it('nothing to import, or two adapters at once', async () => {
      await expectImportError([], /nothing was chosen/);
      await expectImportError([{ name: 'notes.txt', bytes: new TextEncoder().encode('hi') }], /^notes\.txt: expected adapter_model\.safetensors/);
      await expectImportError([{ name: 'a.zip', bytes: zip }, { name: 'b.zip', bytes: zip }], /holds 2 files named adapter_model\.safetensors/);
    });
  });
});

// Python reads the zip on its own terms (zipfile with CRC checks, the safetensors format parsed
// by the stdlib, and by the safetensors package where installed): skipped without python3.
const python = spawnSync('python3', ['--version']).status === 0;
describe.skipIf(!python)('scripts/check_exports.py (Python)', () => {
  it('accepts the LoRA zip: keys, shapes, r, format pt, peft and diffusers agree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpo-lora-'));
    const path = join(dir, 'lora.zip');
    writeFileSync(path, zip);
    const run = spawnSync('python3', ['scripts/check_exports.py', 'lora', path], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'lora', r: 6, lora_alpha: 6, modules: targets.length, rounds: '3' });
  });
  it('and rejects one whose peft config disagrees with the weights', async () => {
    const files = await readZip(zip, 'lora.zip');
    const config = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json')));
    const bad = createZip([...files].map(([name, data]) => ({ name, data: name === 'adapter_config.json' ? JSON.stringify({ ...config, r: 4 }) : data })));
    const dir = mkdtempSync(join(tmpdir(), 'vpo-lora-'));
    writeFileSync(join(dir, 'bad.zip'), bad);
    const run = spawnSync('python3', ['scripts/check_exports.py', 'lora', join(dir, 'bad.zip')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/lora_adapter_metadata r 6 != 4/);
  });
});
