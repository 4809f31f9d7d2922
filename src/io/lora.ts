// LoRA adapters in the files PyTorch users load (docs/architecture.md §7), plain TypeScript (no tfjs):
//
//  peft:      adapter_model.safetensors   base_model.model.<module>.lora_A.weight [r, in]
//                                         base_model.model.<module>.lora_B.weight [out, r]
//             adapter_config.json         {"peft_type": "LORA", "r", "lora_alpha", "target_modules", …}
//  diffusers: pytorch_lora_weights.safetensors
//                                         transformer.<module>.lora_A.weight / .lora_B.weight
//             __metadata__ = {"format": "pt", "lora_adapter_metadata": <JSON of the LoraConfig,
//                             keys prefixed "transformer." as diffusers' save_lora_weights packs them>}
//
// Scale of a module: lora_alpha / r (peft), lora_alpha / √r with use_rslora. Import checks every
// key and shape against the model and says what is wrong with which file.
import { parseSafetensors, serializeSafetensors, SafetensorsError, toFloat32, type TensorEntry } from './safetensors';
import { loraValuesProblem, type LoraModuleArrays } from './lora-values';

export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const DIFFUSERS_WEIGHTS_FILE = 'pytorch_lora_weights.safetensors';
const PEFT_PREFIX = 'base_model.model.';
const DIFFUSERS_PREFIX = 'transformer.';
const METADATA_KEY = 'lora_adapter_metadata';

/** An adapter in PyTorch layout: one rank and alpha for every module (scale α/r). */
export interface LoraTensors {
  rank: number;
  alpha: number;
  targetModules: string[];
  modules: Map<string, LoraModuleArrays>;
}

/** The model's adaptable Linear modules with their sizes, to check imports against. */
export type ModuleShapes = Map<string, { inFeatures: number; outFeatures: number }>;

export interface ExportOptions {
  /** `base_model_name_or_path`, e.g. `vpo-studio/small`. */
  baseModel: string;
  /** Extra provenance (rounds, β, …) stored as strings in the safetensors __metadata__. */
  provenance?: Record<string, string>;
}

export class LoraImportError extends Error {
  constructor(readonly fileName: string, readonly detail: string, readonly advice = 'Export the adapter again from vpo-studio, or from peft with save_pretrained().') {
    super(`${fileName}: ${detail}. ${advice}`);
    this.name = 'LoraImportError';
  }
}

// ---------------------------------------------------------------------------------------------
// Export

/** The LoraConfig fields peft writes (and reads back with LoraConfig.from_pretrained). */
function peftConfig(lora: LoraTensors, baseModel: string): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: null,
    base_model_name_or_path: baseModel,
    r: lora.rank,
    lora_alpha: lora.alpha,
    lora_dropout: 0,
    // Full module names: peft matches a target that equals a module name or ends with it, so
    // the exported file adapts exactly the modules it has weights for.
    target_modules: [...lora.modules.keys()].sort(),
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    rank_pattern: {},
    alpha_pattern: {},
    layers_to_transform: null,
    layers_pattern: null,
    revision: null,
  };
}

function tensorsWithPrefix(lora: LoraTensors, prefix: string): Record<string, TensorEntry> {
  const tensors: Record<string, TensorEntry> = {};
  for (const [name, m] of lora.modules) {
    tensors[`${prefix}${name}.lora_A.weight`] = { dtype: 'F32', shape: [m.rank, m.inFeatures], data: Float32Array.from(m.loraA) };
    tensors[`${prefix}${name}.lora_B.weight`] = { dtype: 'F32', shape: [m.outFeatures, m.rank], data: Float32Array.from(m.loraB) };
  }
  return tensors;
}

/** peft folder: the two files of `PeftModel.from_pretrained(model, folder)`. */
export function exportPeft(lora: LoraTensors, opts: ExportOptions): { [PEFT_WEIGHTS_FILE]: Uint8Array; [PEFT_CONFIG_FILE]: string } {
  checkUniformRank(lora);
  return {
    [PEFT_WEIGHTS_FILE]: serializeSafetensors(tensorsWithPrefix(lora, PEFT_PREFIX), { ...opts.provenance, format: 'pt' }),
    [PEFT_CONFIG_FILE]: `${JSON.stringify(peftConfig(lora, opts.baseModel), null, 2)}\n`,
  };
}

/** diffusers single file, as `pipe.save_lora_weights(…, transformer_lora_adapter_metadata=…)` writes it. */
export function exportDiffusers(lora: LoraTensors, opts: ExportOptions): Uint8Array {
  checkUniformRank(lora);
  const config = peftConfig(lora, opts.baseModel);
  const packed = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${DIFFUSERS_PREFIX}${k}`, v]));
  return serializeSafetensors(tensorsWithPrefix(lora, DIFFUSERS_PREFIX), {
    ...opts.provenance,
    format: 'pt',
    [METADATA_KEY]: JSON.stringify(sortKeys(packed), null, 2),
  });
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

function checkUniformRank(lora: LoraTensors): void {
  for (const [name, m] of lora.modules) {
    if (m.rank !== lora.rank) throw new Error(`LoRA export: module ${name} has rank ${m.rank} but the adapter ${lora.rank}; every module must share the rank peft's "r" states.`);
    if (m.loraA.length !== m.rank * m.inFeatures || m.loraB.length !== m.outFeatures * m.rank) throw new Error(`LoRA export: module ${name} has ${m.loraA.length}/${m.loraB.length} values for lora_A [${m.rank}, ${m.inFeatures}] / lora_B [${m.outFeatures}, ${m.rank}].`);
  }
}

// ---------------------------------------------------------------------------------------------
// Import

export interface ImportedLora extends LoraTensors {
  format: 'peft' | 'diffusers';
  /** Effective scale per module (α/r, or α/√r with rsLoRA). */
  scale: number;
  baseModel: string | null;
}

/** Scale-related fields of a LoraConfig, from adapter_config.json or lora_adapter_metadata. */
interface ConfigFields {
  r?: number;
  alpha?: number;
  rslora: boolean;
  baseModel: string | null;
  targetModules: string[];
}

function readConfig(raw: unknown, fileName: string, prefix = ''): ConfigFields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LoraImportError(fileName, 'the adapter config is not a JSON object');
  const c = raw as Record<string, unknown>;
  const get = (k: string) => c[`${prefix}${k}`];
  const peftType = get('peft_type');
  if (peftType !== undefined && peftType !== 'LORA') throw new LoraImportError(fileName, `peft_type is ${JSON.stringify(peftType)}, but only "LORA" adapters can be imported`);
  if (get('use_dora') === true) throw new LoraImportError(fileName, 'it is a DoRA adapter (use_dora: true), which vpo-studio cannot apply', 'Export a plain LoRA (use_dora=False).');
  for (const key of ['rank_pattern', 'alpha_pattern']) {
    const v = get(key);
    if (v && typeof v === 'object' && Object.keys(v).length > 0) throw new LoraImportError(fileName, `${key} gives modules their own rank or alpha, which import does not support`, 'Export with one r and lora_alpha for every module.');
  }
  const num = (k: string) => {
    const v = get(k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !(v > 0)) throw new LoraImportError(fileName, `"${prefix}${k}" is ${JSON.stringify(v)}, not a positive number`);
    return v;
  };
  const targets = get('target_modules');
  return {
    r: num('r'),
    alpha: num('lora_alpha'),
    rslora: get('use_rslora') === true,
    baseModel: typeof get('base_model_name_or_path') === 'string' ? (get('base_model_name_or_path') as string) : null,
    targetModules: Array.isArray(targets) ? targets.map(String) : typeof targets === 'string' ? [targets] : [],
  };
}

function parseWeights(bytes: Uint8Array, fileName: string): { tensors: Map<string, TensorEntry>; metadata: Record<string, string> } {
  try {
    return parseSafetensors(bytes, fileName);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new LoraImportError(fileName, `is not a readable safetensors file (${e.detail})`, 'Re-download or re-export the adapter.');
    throw e;
  }
}

/** A tensor's values as a fresh Float32Array; an integer dtype is a LoraImportError naming the tensor. */
function floats(entry: TensorEntry, key: string, fileName: string): Float32Array {
  try {
    return Float32Array.from(toFloat32(entry, key, fileName));
  } catch (e) {
    if (e instanceof SafetensorsError) throw new LoraImportError(fileName, e.detail, 'Export the adapter weights as F32, F16 or BF16.');
    throw e;
  }
}

/**
 * Pair up lora_A / lora_B tensors under `prefix`, check every key, module and shape against the
 * model, and return the modules. `rank` from the config when given, else from the tensors.
 */
function collectModules(tensors: Map<string, TensorEntry>, prefix: string, expected: ModuleShapes, fileName: string, format: string): Map<string, LoraModuleArrays> {
  const pattern = /^(.+)\.lora_([AB])\.weight$/;
  const parts = new Map<string, { A?: TensorEntry; B?: TensorEntry }>();
  for (const [key, entry] of tensors) {
    const m = key.startsWith(prefix) ? pattern.exec(key.slice(prefix.length)) : null;
    if (!m) {
      const hint = key.startsWith(prefix) ? '' : ` (a ${format} file's keys start with "${prefix}"${format === 'peft' ? '; is this the diffusers file?' : '; is this the peft file?'})`;
      throw new LoraImportError(fileName, `unexpected tensor "${key}": expected ${prefix}<module>.lora_A.weight or .lora_B.weight${hint}`);
    }
    const [, module, which] = m;
    if (!expected.has(module)) {
      const some = [...expected.keys()].slice(0, 3).join(', ');
      throw new LoraImportError(fileName, `tensor "${key}" adapts module "${module}", which this model does not have (its Linear modules look like ${some}, …)`, 'Check that the adapter was trained for this model and config.');
    }
    const slot = parts.get(module) ?? {};
    slot[which as 'A' | 'B'] = entry;
    parts.set(module, slot);
  }
  if (parts.size === 0) throw new LoraImportError(fileName, 'holds no LoRA tensors');
  const modules = new Map<string, LoraModuleArrays>();
  for (const [module, { A, B }] of [...parts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!A || !B) throw new LoraImportError(fileName, `module "${module}" has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}`);
    const { inFeatures, outFeatures } = expected.get(module)!;
    const r = A.shape[0];
    if (A.shape.length !== 2 || A.shape[1] !== inFeatures || !(r > 0)) {
      throw new LoraImportError(fileName, `"${prefix}${module}.lora_A.weight" has shape [${A.shape.join(', ')}] but the model's module takes ${inFeatures} inputs: expected [r, ${inFeatures}]`, 'Check that the adapter was trained for this model and config.');
    }
    if (B.shape.length !== 2 || B.shape[0] !== outFeatures || B.shape[1] !== r) {
      throw new LoraImportError(fileName, `"${prefix}${module}.lora_B.weight" has shape [${B.shape.join(', ')}] but expected [${outFeatures}, ${r}] (the module's ${outFeatures} outputs × lora_A's rank ${r})`, 'Check that the adapter was trained for this model and config.');
    }
    modules.set(module, { inFeatures, outFeatures, rank: r, loraA: floats(A, `${prefix}${module}.lora_A.weight`, fileName), loraB: floats(B, `${prefix}${module}.lora_B.weight`, fileName) });
  }
  return modules;
}

function assemble(format: 'peft' | 'diffusers', modules: Map<string, LoraModuleArrays>, config: ConfigFields, fileName: string): ImportedLora {
  const ranks = new Set([...modules.values()].map((m) => m.rank));
  if (ranks.size !== 1) throw new LoraImportError(fileName, `modules have different ranks (${[...ranks].join(', ')}), which import does not support`);
  const [rank] = ranks;
  if (config.r !== undefined && config.r !== rank) throw new LoraImportError(fileName, `the config says r = ${config.r} but lora_A has rank ${rank}; the weights and the config do not belong together`);
  // diffusers without metadata loads with lora_alpha = r (scale 1), as does a config without lora_alpha.
  const alpha = config.alpha ?? rank;
  const scale = config.rslora ? alpha / Math.sqrt(rank) : alpha / rank;
  const prefix = format === 'peft' ? PEFT_PREFIX : DIFFUSERS_PREFIX;
  const problem = loraValuesProblem(modules, scale, (module, which) => `${prefix}${module}.lora_${which}.weight`);
  if (problem) throw new LoraImportError(fileName, problem, 'Its weights would break the model; export the adapter again from a training run that did not diverge.');
  return { format, rank, alpha: scale * rank, scale, targetModules: config.targetModules, modules, baseModel: config.baseModel };
}

/** peft folder: adapter_model.safetensors (+ adapter_config.json; without it α = r is assumed). */
export function importPeft(weights: Uint8Array, configJson: string | null, expected: ModuleShapes, names = { weights: PEFT_WEIGHTS_FILE, config: PEFT_CONFIG_FILE }): ImportedLora {
  let config: ConfigFields = { rslora: false, baseModel: null, targetModules: [] };
  if (configJson !== null) {
    let raw: unknown;
    try {
      raw = JSON.parse(configJson);
    } catch (e) {
      throw new LoraImportError(names.config, `is not valid JSON (${(e as Error).message})`);
    }
    config = readConfig(raw, names.config);
  }
  const { tensors } = parseWeights(weights, names.weights);
  return assemble('peft', collectModules(tensors, PEFT_PREFIX, expected, names.weights, 'peft'), config, names.weights);
}

/** diffusers single file, its config from __metadata__.lora_adapter_metadata when present. */
export function importDiffusers(bytes: Uint8Array, expected: ModuleShapes, fileName = DIFFUSERS_WEIGHTS_FILE): ImportedLora {
  const { tensors, metadata } = parseWeights(bytes, fileName);
  let config: ConfigFields = { rslora: false, baseModel: null, targetModules: [] };
  if (metadata[METADATA_KEY] !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(metadata[METADATA_KEY]);
    } catch (e) {
      throw new LoraImportError(fileName, `its __metadata__.${METADATA_KEY} is not valid JSON (${(e as Error).message})`);
    }
    // Pipeline files prefix the config keys with the component ("transformer.r"); model-level ones do not.
    const prefixed = typeof raw === 'object' && raw !== null && Object.keys(raw).some((k) => k.startsWith(DIFFUSERS_PREFIX));
    config = readConfig(raw, fileName, prefixed ? DIFFUSERS_PREFIX : '');
  }
  return assemble('diffusers', collectModules(tensors, DIFFUSERS_PREFIX, expected, fileName, 'diffusers'), config, fileName);
}

/**
 * Import whichever format the files are, by name: `adapter_model.safetensors` (+ its config) or
 * `pytorch_lora_weights.safetensors`; any other single .safetensors file is sniffed by its keys.
 */
export function importLoraFiles(files: { name: string; bytes: Uint8Array }[], expected: ModuleShapes): ImportedLora {
  const base = (n: string) => n.split(/[\\/]/).pop()!;
  const byName = new Map(files.map((f) => [base(f.name), f]));
  const peft = byName.get(PEFT_WEIGHTS_FILE);
  if (peft) {
    const config = byName.get(PEFT_CONFIG_FILE);
    return importPeft(peft.bytes, config ? new TextDecoder().decode(config.bytes) : null, expected, { weights: peft.name, config: config?.name ?? PEFT_CONFIG_FILE });
  }
  const weights = files.filter((f) => f.name.endsWith('.safetensors'));
  if (weights.length !== 1) {
    throw new LoraImportError(files.map((f) => f.name).join(', ') || '(no files)', `expected ${PEFT_WEIGHTS_FILE} (+ ${PEFT_CONFIG_FILE}) or one ${DIFFUSERS_WEIGHTS_FILE}`, 'Choose the adapter files exported by vpo-studio, peft or diffusers.');
  }
  const [file] = weights;
  const { tensors } = parseWeights(file.bytes, file.name);
  const firstKey = tensors.keys().next().value ?? '';
  return firstKey.startsWith(PEFT_PREFIX) ? importPeft(file.bytes, null, expected, { weights: file.name, config: PEFT_CONFIG_FILE }) : importDiffusers(file.bytes, expected, file.name);
}
