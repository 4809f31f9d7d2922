// The LoRA of a project as one download, and any LoRA file back in (docs/architecture.md §4, §7).
//
// Export: the completed rounds' adapters, concatenated exactly into one adapter of rank Σr
// (src/prefs/lora-data.ts: A rows and B columns stacked, each round's α/r folded into A), written
// in both formats PyTorch users load (src/io/lora.ts) side by side in one zip:
//
//   adapter_model.safetensors        peft: base_model.model.<module>.lora_A.weight [r, in], .lora_B.weight [out, r]
//   adapter_config.json              peft LoraConfig (peft_type LORA, r, lora_alpha, target_modules, …)
//   pytorch_lora_weights.safetensors diffusers: transformer.<module>.lora_A.weight …, __metadata__ format pt + lora_adapter_metadata
//   README.md                        what is inside and how to load it
//
// Import: peft files, a diffusers file, or a zip of either (ours included), checked against the
// model's Linear modules; every problem is a LoraImportError naming the file.
import { exportDiffusers, exportPeft, importLoraFiles, LoraImportError, DIFFUSERS_WEIGHTS_FILE, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../io/lora';
import type { ModelConfig } from '../model/config';
import { loraModuleShapes } from '../model/param-specs';
import { concatenateSnapshots, snapshotFromArrays } from '../prefs/lora-data';
import type { LoraSnapshot } from '../prefs/types';
import { createZip, looksLikeZip, readZip, ZipError } from './zip';

export { LoraImportError };

export const LORA_README_FILE = 'README.md';

export interface LoraExportOptions {
  /** `base_model_name_or_path` in the configs, e.g. `vpo-studio/small`. */
  baseModelName: string;
  /** Time stamp of the zip entries (default now). */
  modified?: Date;
}

/**
 * The cumulative LoRA of `snapshots` (the completed rounds, in order) as one zip holding the peft
 * folder, the diffusers file and a README. Throws when there is nothing to export or a round
 * does not fit `config` (it was trained on another model).
 */
export function loraExportZip(snapshots: LoraSnapshot[], config: ModelConfig, opts: LoraExportOptions): Uint8Array {
  // 1. one adapter of rank Σr whose B·A equals Σ_k (α_k/r_k)·B_k·A_k
  const cumulative = concatenateSnapshots(snapshots);
  const shapes = loraModuleShapes(config);
  for (const [name, m] of cumulative.modules) {
    const expected = shapes.get(name);
    if (!expected || expected.inFeatures !== m.inFeatures || expected.outFeatures !== m.outFeatures) {
      const what = expected ? `has shape [${m.outFeatures}, ${m.inFeatures}] but the model's is [${expected.outFeatures}, ${expected.inFeatures}]` : 'is not a Linear module of this model';
      throw new Error(`LoRA export: module "${name}" ${what}: the rounds were trained on another model than "${config.name}". Export from the project that trained them.`);
    }
  }
  // 2. both formats, with provenance in the safetensors __metadata__ (strings only)
  const provenance = {
    rounds: String(snapshots.length),
    round_ranks: JSON.stringify(snapshots.map((s) => s.rank)),
    round_alphas: JSON.stringify(snapshots.map((s) => s.alpha)),
    model_config: JSON.stringify(config),
  };
  const exportOpts = { baseModel: opts.baseModelName, provenance };
  const peft = exportPeft(cumulative, exportOpts);
  const diffusers = exportDiffusers(cumulative, exportOpts);
  const readme = loraReadme({ snapshots, config, baseModelName: opts.baseModelName, rank: cumulative.rank, modules: [...cumulative.modules.keys()] });
  return createZip(
    [
      { name: PEFT_WEIGHTS_FILE, data: peft[PEFT_WEIGHTS_FILE] },
      { name: PEFT_CONFIG_FILE, data: peft[PEFT_CONFIG_FILE] },
      { name: DIFFUSERS_WEIGHTS_FILE, data: diffusers },
      { name: LORA_README_FILE, data: readme },
    ],
    { modified: opts.modified },
  );
}

function loraReadme(o: { snapshots: LoraSnapshot[]; config: ModelConfig; baseModelName: string; rank: number; modules: string[] }): string {
  const ranks = o.snapshots.map((s) => s.rank);
  const example = o.modules[0];
  return `# vpo-studio LoRA: ${o.snapshots.length} preference round${o.snapshots.length === 1 ? '' : 's'} on \`${o.baseModelName}\`

The change that ${o.snapshots.length === 1 ? 'the round' : `all ${o.snapshots.length} rounds`} made to the base model, as **one LoRA of rank ${o.rank}**
(${ranks.length > 1 ? `the rounds' ranks ${ranks.join(' + ')}, concatenated` : 'the round\'s adapter'}: A rows and B columns stacked, each round's
α/r folded into A, so \`B·A\` is exactly the sum of the rounds' \`(α/r)·B·A\`). \`lora_alpha\` = r, so the
scale α/r is 1: **ΔW = lora_B @ lora_A**, in PyTorch layout (\`[out, in]\`, lora_A \`[r, in]\`, lora_B \`[out, r]\`).

Model config \`${o.config.name}\` (${o.config.frames} frames, ${o.config.height}×${o.config.width}); ${o.modules.length} adapted Linear modules, e.g.
\`${example}\`. Tensors are float32; the safetensors \`__metadata__\` has \`format: pt\`, the rounds'
ranks and alphas, and the full model config (\`model_config\`).

| file | format |
|---|---|
| \`${PEFT_WEIGHTS_FILE}\` + \`${PEFT_CONFIG_FILE}\` | peft: keys \`base_model.model.<module>.lora_A.weight\` / \`.lora_B.weight\` |
| \`${DIFFUSERS_WEIGHTS_FILE}\` | diffusers: keys \`transformer.<module>.lora_A.weight\` / \`.lora_B.weight\`, \`lora_adapter_metadata\` in \`__metadata__\` |

The base model is vpo-studio's own video DiT (diffusers-style module names); the snippets below
assume a PyTorch module with those names (a port of the checkpoint's \`model_config\`). Unzip into
a folder, here \`vpo-lora/\`.

## peft

\`\`\`python
from peft import LoraConfig, PeftModel

config = LoraConfig.from_pretrained("vpo-lora")   # r=${o.rank}, lora_alpha=${o.rank}, target_modules=[…full module names…]
model = PeftModel.from_pretrained(base_model, "vpo-lora")
model = model.merge_and_unload()                   # or keep the adapter switchable
\`\`\`

## diffusers

\`\`\`python
# a pipeline whose denoiser is the \`transformer\` component (keys are prefixed "transformer.")
pipe.load_lora_weights("vpo-lora", weight_name="${DIFFUSERS_WEIGHTS_FILE}", adapter_name="vpo")
pipe.fuse_lora()
\`\`\`

## Plain safetensors (no peft)

\`\`\`python
import json
from safetensors.numpy import load_file

weights = load_file("vpo-lora/${PEFT_WEIGHTS_FILE}")
config = json.load(open("vpo-lora/${PEFT_CONFIG_FILE}"))
scale = config["lora_alpha"] / config["r"]          # 1.0
for key, lora_a in weights.items():
    if key.endswith(".lora_A.weight"):
        module = key[len("base_model.model."):-len(".lora_A.weight")]
        lora_b = weights[key.replace(".lora_A.", ".lora_B.")]
        delta = scale * lora_b @ lora_a               # [out, in]: add to state_dict[module + ".weight"]
\`\`\`
`;
}

// ---------------------------------------------------------------------------------------------
// Import

/** Entries a zipper adds that are not part of the adapter (macOS resource forks, folders). */
function isJunk(path: string): boolean {
  const base = path.split('/').pop() ?? '';
  return path.startsWith('__MACOSX/') || path.includes('/__MACOSX/') || base.startsWith('._') || base === '.DS_Store';
}

/** Zips opened, their entries named `<zip>/<path>`; other files as they are. */
async function expandZips(files: { name: string; bytes: Uint8Array }[]): Promise<{ name: string; bytes: Uint8Array }[]> {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const f of files) {
    if (!f.name.toLowerCase().endsWith('.zip') && !looksLikeZip(f.bytes)) {
      out.push(f);
      continue;
    }
    let entries: Map<string, Uint8Array>;
    try {
      entries = await readZip(f.bytes, f.name);
    } catch (e) {
      if (e instanceof ZipError) throw new LoraImportError(f.name, e.detail, e.advice);
      throw e;
    }
    for (const [path, bytes] of entries) if (!isJunk(path)) out.push({ name: `${f.name}/${path}`, bytes });
  }
  return out;
}

/**
 * A LoRA for `config` from peft files (adapter_model.safetensors + adapter_config.json), a
 * diffusers file (pytorch_lora_weights.safetensors), or a zip of either. The snapshot keeps the
 * file's rank and scale (alpha = scale · rank). Throws LoraImportError naming the file and its
 * first problem: not readable, a foreign key, a module the model lacks, a wrong shape or dtype.
 */
export async function importLora(files: { name: string; bytes: Uint8Array }[], config: ModelConfig): Promise<LoraSnapshot> {
  if (files.length === 0) throw new LoraImportError('(no files)', 'nothing was chosen', `Choose ${PEFT_WEIGHTS_FILE} with ${PEFT_CONFIG_FILE}, a ${DIFFUSERS_WEIGHTS_FILE}, or a zip of either.`);
  const all = await expandZips(files);
  // Two adapters in one selection would be merged by name silently: refuse instead.
  for (const weightName of [PEFT_WEIGHTS_FILE, DIFFUSERS_WEIGHTS_FILE]) {
    const same = all.filter((f) => f.name.split(/[\\/]/).pop() === weightName);
    if (same.length > 1) throw new LoraImportError(same.map((f) => f.name).join(', '), `holds ${same.length} files named ${weightName}`, 'Choose one adapter at a time.');
  }
  return snapshotFromArrays(importLoraFiles(all, loraModuleShapes(config)));
}
