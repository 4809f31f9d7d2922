// Property tests of the studio's file parsers: random mutations of valid files must
// end in the parser's own named error or a clean parse — never another exception, never a hang,
// never unbounded memory. Shared by tests/unit/scripts/fuzz-targets.test.ts (10,000 runs per parser in
// CI) and scripts/bench-fuzz.ts (`npm run bench:fuzz`, as many as asked for).
//
// Two kinds of mutation per parser:
//   bytes  flips, sets, 32-bit "interesting" values (0, −1, 2^31, the file's length…), cuts,
//          inserts, deletes and copied slices on the file as a whole;
//   json   values swapped for hostile ones (NaN-like, huge, negative, wrong types, 300-character
//          strings, "%", "__proto__") or deleted, at a random path of the JSON inside the file
//          (a safetensors header, adapter_config.json, a backup's project.json), the file then
//          rebuilt with valid lengths and CRCs so the mutation reaches the checks behind them.
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { backupProject, BackupError, restoreProject, type ProjectSnapshot } from '../../src/export/backup';
import { importLora, LoraImportError } from '../../src/export/lora-zip';
import { createZip, readZip, ZipError } from '../../src/export/zip';
import { exportPeft, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../../src/io/lora';
import { parseSafetensors, SafetensorsError, serializeSafetensors, toFloat32 } from '../../src/io/safetensors';
import { loraModuleShapes } from '../../src/model/param-specs';
import { presetConfig } from '../../src/model/presets';
import { concatenateSnapshots, snapshotFromArrays } from '../../src/prefs/lora-data';
import type { LoraModuleArrays } from '../../src/io/lora-values';
import { pairwiseJudgment, planPairs } from '../../src/prefs/pairs';
import { roundHyper, startRoundRecord } from '../../src/prefs/rounds';

// ---------------------------------------------------------------------------------------------
// mutations

export type ByteMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'u32'; at: number; value: number }
  | { op: 'cut'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'copy'; from: number; at: number; length: number };

const position = fc.nat({ max: 1 << 30 });
const INTERESTING_U32 = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 1 << 20, 1 << 30];

export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('u32' as const), at: position, value: fc.constantFrom(...INTERESTING_U32) }),
    fc.record({ op: fc.constant('cut' as const), at: position }),
    fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('copy' as const), from: position, at: position, length: fc.integer({ min: 1, max: 256 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** `bytes` with the mutations applied in order (positions taken modulo the current length). */
export function mutateBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let out: Uint8Array = bytes.slice();
  for (const m of mutations) {
    const n = out.length;
    if (n === 0) break;
    const at = m.at % n;
    switch (m.op) {
      case 'flip':
        out[at] ^= 1 << m.bit;
        break;
      case 'set':
        out[at] = m.value;
        break;
      case 'u32':
        if (at + 4 <= n) new DataView(out.buffer).setUint32(at, m.value === 1 << 30 ? n : m.value, true);
        break;
      case 'cut':
        out = out.slice(0, at);
        break;
      case 'insert':
        out = concat(out.subarray(0, at), m.bytes, out.subarray(at));
        break;
      case 'delete':
        out = concat(out.subarray(0, at), out.subarray(at + m.length));
        break;
      case 'copy': {
        const from = m.from % n;
        out = concat(out.subarray(0, at), out.subarray(from, from + m.length), out.subarray(at));
        break;
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface JsonMutation {
  /** Which node (modulo the node count, in depth-first order). */
  at: number;
  value: unknown;
  /** Delete the key instead of replacing its value (objects only). */
  remove: boolean;
}

const HOSTILE_VALUES: unknown[] = [
  null, true, 0, -1, 0.5, 1e30, -1e30, 1e308, 2 ** 53, 4294967296, '', '%', '%E0%A4%A', '__proto__', 'x'.repeat(300), 'F64',
  [], [0], [-1, 2], [0, 1e30], {}, { __proto__: null }, [[[]]],
];

export const jsonMutations: fc.Arbitrary<JsonMutation[]> = fc.array(
  fc.record({ at: fc.nat(), value: fc.constantFrom(...HOSTILE_VALUES), remove: fc.boolean() }),
  { minLength: 1, maxLength: 3 },
);

/** A deep copy of `json` with the mutations applied (JSON cannot hold NaN; 1e308·10 parses as Infinity). */
export function mutateJson(json: unknown, mutations: readonly JsonMutation[]): unknown {
  const root = { value: structuredClone(json) } as Record<string, unknown>;
  for (const m of mutations) {
    const slots: [Record<string, unknown> | unknown[], string | number][] = [];
    const visit = (parent: Record<string, unknown> | unknown[], key: string | number) => {
      slots.push([parent, key]);
      const v = (parent as Record<string | number, unknown>)[key];
      if (Array.isArray(v)) v.forEach((_, i) => visit(v, i));
      else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) visit(v as Record<string, unknown>, k);
    };
    visit(root, 'value');
    const [parent, key] = slots[m.at % slots.length];
    if (m.remove && !Array.isArray(parent) && parent !== root) delete parent[key as string];
    else (parent as Record<string | number, unknown>)[key] = structuredClone(m.value);
  }
  return root.value;
}

// ---------------------------------------------------------------------------------------------
// valid files to start from (the tiny model: small, so thousands of runs take seconds)

const tiny = presetConfig('tiny');
const tinyShapes = loraModuleShapes(tiny);
const encoder = new TextEncoder();

/** A rank-r adapter on a few modules of the tiny model with small varied weights. */
function tinyLora(rank: number, modulePattern: RegExp): ReturnType<typeof concatenateSnapshots> {
  const modules = new Map<string, LoraModuleArrays>();
  for (const [name, { inFeatures, outFeatures }] of tinyShapes) {
    if (!modulePattern.test(name)) continue;
    const wave = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + phase) / 50);
    modules.set(name, { inFeatures, outFeatures, rank, loraA: wave(rank * inFeatures, 1), loraB: wave(outFeatures * rank, 2) });
  }
  return { rank, alpha: rank, targetModules: [modulePattern.source], modules };
}

function safetensorsSeeds(): Uint8Array[] {
  const mixed = serializeSafetensors(
    {
      w: { dtype: 'F32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
      h: { dtype: 'F16', shape: [5], data: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0]) },
      b: { dtype: 'BF16', shape: [2], data: Uint16Array.from([0x3f80, 0xbf80]) },
      n: { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, -2n]) },
      e: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      m: { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    },
    { format: 'pt', note: 'fuzz seed' },
  );
  return [mixed, exportPeft(tinyLora(2, /attn_spatial\.to_q$/), { baseModel: 'fuzz' })[PEFT_WEIGHTS_FILE]];
}

function zipSeeds(): Uint8Array[] {
  const text = encoder.encode('rectified flow, preference rounds '.repeat(40));
  const stored = createZip([{ name: 'a.txt', data: 'first' }, { name: 'dir/b.bin', data: Uint8Array.from({ length: 300 }, (_, i) => i * 7) }, { name: 'dir/', data: '' }], { modified: new Date(2025, 0, 1) });
  // One DEFLATE entry, as other zippers write it: the same archive with entry 1 recompressed.
  const deflated = createZip([{ name: 'notes.txt', data: text }], { modified: new Date(2025, 0, 1) });
  return [stored, recompress(deflated, text)];
}

/** A one-entry STORE zip turned into DEFLATE (method 8, compressed size and data replaced). */
function recompress(zip: Uint8Array, content: Uint8Array): Uint8Array {
  const view = new DataView(zip.buffer);
  const nameLength = view.getUint16(26, true);
  const compressed = new Uint8Array(deflateRawSync(content));
  const headerEnd = 30 + nameLength;
  const centralStart = headerEnd + content.length;
  const out = concat(zip.subarray(0, headerEnd), compressed, zip.subarray(centralStart));
  const o = new DataView(out.buffer);
  const shift = compressed.length - content.length;
  const central = centralStart + shift;
  for (const [at, sizeAt] of [[8, 18], [central + 10, central + 20]]) {
    o.setUint16(at, 8, true);
    o.setUint32(sizeAt, compressed.length, true);
  }
  o.setUint32(out.length - 22 + 16, central, true);
  return out;
}

function loraZipSeed(): Uint8Array {
  const lora = tinyLora(2, /attn_(spatial|cross)\.to_(q|v)$/);
  const peft = exportPeft(lora, { baseModel: 'vpo-studio/tiny' });
  return createZip([{ name: PEFT_WEIGHTS_FILE, data: peft[PEFT_WEIGHTS_FILE] }, { name: PEFT_CONFIG_FILE, data: peft[PEFT_CONFIG_FILE] }], { modified: new Date(2025, 0, 1) });
}

function backupSeed(): Uint8Array {
  const videoBytes = tiny.frames * tiny.height * tiny.width * 3;
  const pairs = planPairs({ prompts: ['a red circle moves left', 'a blue square moves up'], pairsPerPrompt: 1, round: 0, seed: 5, sampler: { steps: 8, guidance: 2 }, now: '2025-03-01T09:00:00.000Z' });
  const videos: Record<string, Uint8Array> = {};
  pairs.flatMap((p) => p.videoIds).forEach((id, k) => (videos[id] = new Uint8Array(videoBytes).fill(k * 40)));
  const judgment = pairwiseJudgment({ id: 'fuzz-j1', pair: pairs[1], annotator: 'fuzz', annotatorKind: 'human', round: 1, decision: 'right', leftWas: 0, responseMs: 800, now: '2025-03-01T09:01:00.000Z' });
  const lora = snapshotFromArrays(tinyLora(2, /attn_temporal\.to_k$/));
  const round = { ...startRoundRecord(1, roundHyper(), [judgment.id], 1, new Date('2025-03-01T09:02:00.000Z')), status: 'completed' as const, lora };
  const project: ProjectSnapshot = { version: 1, modelName: 'tiny', pairs, judgments: [judgment], rounds: [round], videos, createdAt: '2025-03-01T09:03:00.000Z' };
  return backupProject(project, { modified: new Date(2025, 0, 1) });
}

// ---------------------------------------------------------------------------------------------
// rebuilding a file around mutated JSON

function safetensorsWithHeader(file: Uint8Array, edit: (header: unknown) => unknown): Uint8Array {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
  const json = encoder.encode(JSON.stringify(edit(header)));
  const out = concat(new Uint8Array(8), json, file.subarray(8 + n));
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  return out;
}

async function zipWithEntry(zip: Uint8Array, name: string, edit: (data: Uint8Array) => Uint8Array): Promise<Uint8Array> {
  const files = await readZip(zip, 'seed.zip');
  return createZip([...files].map(([n, data]) => ({ name: n, data: n === name ? edit(data) : data })), { modified: new Date(2025, 0, 1) });
}

const jsonEdit = (mutations: readonly JsonMutation[]) => (data: Uint8Array) =>
  encoder.encode(JSON.stringify(mutateJson(JSON.parse(new TextDecoder().decode(data)), mutations)));

// ---------------------------------------------------------------------------------------------
// targets

/** One mutated input: which seed, which kind of mutation, and the mutations. */
export type FuzzCase = { seed: number; bytes: ByteMutation[] } | { seed: number; json: JsonMutation[]; where: number };

export interface FuzzTarget {
  name: string;
  /** The error class a refused input must be an instance of. */
  named: abstract new (...args: never[]) => Error;
  seeds: Uint8Array[];
  /** Places a json mutation can go (seed-independent count). */
  jsonPlaces: number;
  /** The mutated input for a case. */
  build(c: FuzzCase): Promise<Uint8Array>;
  /** Parse it; resolves on a clean parse, rejects with whatever the parser threw. */
  parse(bytes: Uint8Array): Promise<unknown>;
}

export function fuzzTargets(): FuzzTarget[] {
  const st = safetensorsSeeds();
  const zips = zipSeeds();
  const loraZip = loraZipSeed();
  const backup = backupSeed();
  const byBytes = (seeds: Uint8Array[], c: FuzzCase) => mutateBytes(seeds[c.seed % seeds.length], 'bytes' in c ? c.bytes : []);
  return [
    {
      name: 'safetensors', named: SafetensorsError, seeds: st, jsonPlaces: 1,
      build: async (c) => ('bytes' in c ? byBytes(st, c) : safetensorsWithHeader(st[c.seed % st.length], (h) => mutateJson(h, c.json))),
      parse: async (bytes) => {
        const { tensors } = parseSafetensors(bytes, 'fuzz.safetensors');
        for (const [name, t] of tensors) if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16') toFloat32(t, name, 'fuzz.safetensors');
      },
    },
    {
      name: 'zip', named: ZipError, seeds: zips, jsonPlaces: 0,
      build: async (c) => byBytes(zips, c),
      parse: (bytes) => readZip(bytes, 'fuzz.zip'),
    },
    {
      name: 'lora-import', named: LoraImportError, seeds: [loraZip], jsonPlaces: 2,
      build: async (c) => {
        if ('bytes' in c) return byBytes([loraZip], c);
        return c.where % 2 === 0
          ? zipWithEntry(loraZip, PEFT_CONFIG_FILE, jsonEdit(c.json))
          : zipWithEntry(loraZip, PEFT_WEIGHTS_FILE, (data) => safetensorsWithHeader(data, (h) => mutateJson(h, c.json)));
      },
      parse: (bytes) => importLora([{ name: 'fuzz-lora.zip', bytes }], tiny),
    },
    {
      name: 'backup', named: BackupError, seeds: [backup], jsonPlaces: 1,
      build: async (c) => ('bytes' in c ? byBytes([backup], c) : zipWithEntry(backup, 'project.json', jsonEdit(c.json))),
      parse: (bytes) => restoreProject(bytes, 'fuzz-backup.zip', { moduleShapes: tinyShapes }),
    },
  ];
}

/** Cases for a target: byte mutations, and JSON mutations where the format holds JSON. */
export function fuzzCases(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const seed = fc.nat({ max: target.seeds.length - 1 });
  const bytes = fc.record({ seed, bytes: byteMutations });
  if (target.jsonPlaces === 0) return bytes;
  return fc.oneof(bytes, fc.record({ seed, json: jsonMutations, where: fc.nat({ max: target.jsonPlaces - 1 }) }));
}

/**
 * A single parse that has not ended after this long is a hang (the slowest seen on a quiet core is
 * ~170 ms; the guard leaves room for a loaded CI machine).
 */
const HANG_GUARD_MS = 10_000;

export interface FuzzReport {
  parser: string;
  runs: number;
  parsed: number;
  refused: number;
  ms: number;
  slowestMs: number;
  /** Growth of ArrayBuffer memory over the whole run, MiB (after a GC when exposed). */
  memoryGrowthMiB: number;
}

/**
 * Run `runs` mutated inputs through the target's parser with fast-check (seeded, so a failure
 * replays); throws fast-check's report (the shrunk case, the unexpected error) on the first input
 * that throws anything but the named error or takes longer than `timeoutMs`.
 */
export async function fuzz(target: FuzzTarget, opts: { runs: number; seed?: number; timeoutMs?: number }): Promise<FuzzReport> {
  const report: FuzzReport = { parser: target.name, runs: 0, parsed: 0, refused: 0, ms: 0, slowestMs: 0, memoryGrowthMiB: 0 };
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const memoryBefore = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  const property = fc.asyncProperty(fuzzCases(target), async (c) => {
    const bytes = await target.build(c);
    const t0 = performance.now();
    try {
      await target.parse(bytes);
      report.parsed++;
    } catch (e) {
      if (!(e instanceof target.named)) throw e;
      report.refused++;
    } finally {
      report.runs++;
      report.slowestMs = Math.max(report.slowestMs, performance.now() - t0);
    }
  });
  try {
    await fc.assert(property, { numRuns: opts.runs, seed: opts.seed, timeout: opts.timeoutMs ?? HANG_GUARD_MS, endOnFailure: true });
  } catch (e) {
    // fast-check keeps what the parser threw as its error's cause: name it in the message.
    const thrown = (e as { cause?: unknown }).cause;
    const got = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    throw new Error(`${target.name} parser: ${(e as Error).message}\nGot ${got}`, { cause: e });
  }
  report.ms = performance.now() - started;
  gc?.();
  report.memoryGrowthMiB = (process.memoryUsage().arrayBuffers - memoryBefore) / 2 ** 20;
  return report;
}
