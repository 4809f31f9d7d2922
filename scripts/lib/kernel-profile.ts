/**
 * Where the time of a tfjs-wasm computation goes, by kind of work and by phase. Every kernel goes
 * through the engine's `runKernel`; while `profileKernels` runs, that method is wrapped to time
 * each call (wasm kernels run synchronously, so the wall time of the call is the kernel's time plus
 * the engine's bookkeeping: tape records, tensor tracking). Time not spent in any kernel (batch
 * building on the CPU, JavaScript, awaited readbacks) is reported as its own row.
 *
 * Phases come from the engine's scope stack: `backward` (tfjs's own scope of a gradient
 * computation), `forward` (the differentiated function), and the names the code gives its
 * `tf.tidy` scopes (e.g. `reference` in trainRound).
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelCall {
  name: string;
  ms: number;
  inputShapes: number[][];
  outputShapes: number[][];
  attrs: Record<string, unknown>;
  /** Names of the engine scopes the call ran in, outermost first. */
  scopes: string[];
}

interface EngineInternals {
  runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  state: { scopeStack: { name: string }[] };
}

/** Runs `fn` with every kernel call recorded; returns its result, the calls and the wall time. */
export async function profileKernels<T>(fn: () => Promise<T> | T): Promise<{ result: T; calls: KernelCall[]; wallMs: number }> {
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.runKernel;
  const calls: KernelCall[] = [];
  let depth = 0;
  // Exclusive time: a kernel that runs other kernels is charged only for its own part.
  const childMs: number[] = [];
  engine.runKernel = function (this: EngineInternals, name, inputs, attrs) {
    const scopes = engine.state.scopeStack.map((s) => s.name ?? '');
    childMs.push(0);
    depth++;
    const start = performance.now();
    try {
      const out = original.call(this, name, inputs, attrs);
      const ms = performance.now() - start;
      const own = ms - childMs[childMs.length - 1];
      const outs = Array.isArray(out) ? out : [out];
      calls.push({ name, ms: own, inputShapes: Object.values(inputs).map((t) => t.shape), outputShapes: outs.map((t) => t.shape), attrs: { ...(attrs ?? {}) }, scopes });
      return out;
    } finally {
      depth--;
      childMs.pop();
      if (childMs.length) childMs[childMs.length - 1] += performance.now() - start;
    }
  } as EngineInternals['runKernel'];
  const start = performance.now();
  try {
    const result = await fn();
    return { result, calls, wallMs: performance.now() - start };
  } finally {
    engine.runKernel = original;
  }
}

const COPY_KERNELS = new Set(['Transpose', 'Reshape', 'Slice', 'Concat', 'Pad', 'PadV2', 'MirrorPad', 'Tile', 'GatherV2', 'GatherNd', 'SplitV', 'Identity', 'Cast', 'Pack', 'Unpack', 'StridedSlice', 'BroadcastTo', 'OneHot', 'Fill', 'ZerosLike', 'OnesLike', 'Reverse', 'ExpandDims', 'Squeeze', 'Range']);
const REDUCTION_KERNELS = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'Softmax', 'LogSoftmax', 'ArgMax', 'ArgMin', 'All', 'Any', 'Cumsum']);

export type KernelKind = 'matmul 2-D' | 'matmul 2-D, LoRA' | 'matmul batched or transposed' | 'transpose, reshape, copy' | 'reduction, softmax' | 'elementwise';
export const KERNEL_KINDS: readonly KernelKind[] = ['matmul 2-D', 'matmul 2-D, LoRA', 'matmul batched or transposed', 'transpose, reshape, copy', 'reduction, softmax', 'elementwise'];

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Batch, M, K, N of a BatchMatMul call (operands of rank ≥ 2, the batch broadcast). */
function matmulDims(call: KernelCall): { batch: number; m: number; k: number; n: number; transposed: boolean } {
  const [a, b] = call.inputShapes;
  const transposeA = call.attrs.transposeA === true;
  const transposeB = call.attrs.transposeB === true;
  const m = transposeA ? a[a.length - 1] : a[a.length - 2];
  const k = transposeA ? a[a.length - 2] : a[a.length - 1];
  const n = transposeB ? b[b.length - 2] : b[b.length - 1];
  const batch = size(call.outputShapes[0]) / (m * n);
  return { batch, m, k, n, transposed: transposeA || transposeB };
}

/** The kind of work of one kernel call; `loraRank` tells the adapter's thin matmuls apart. */
export function kernelKind(call: KernelCall, loraRank: number): KernelKind {
  if (call.name === 'BatchMatMul' || call.name === '_FusedMatMul') {
    const { batch, m, k, n, transposed } = matmulDims(call);
    if (batch > 1 || transposed) return 'matmul batched or transposed';
    return [m, k, n].includes(loraRank) ? 'matmul 2-D, LoRA' : 'matmul 2-D';
  }
  if (COPY_KERNELS.has(call.name)) return 'transpose, reshape, copy';
  if (REDUCTION_KERNELS.has(call.name)) return 'reduction, softmax';
  return 'elementwise';
}

/** Floating-point operations of a call: 2·b·M·K·N for matmuls, one per element otherwise (none for copies). */
export function kernelFlops(call: KernelCall, kind: KernelKind): number {
  if (kind.startsWith('matmul')) {
    const { batch, m, k, n } = matmulDims(call);
    return 2 * batch * m * k * n;
  }
  if (kind === 'transpose, reshape, copy') return 0;
  if (kind === 'reduction, softmax') return size(call.inputShapes[0] ?? []);
  return size(call.outputShapes[0] ?? []);
}

export interface ProfileRow {
  kind: string;
  calls: number;
  ms: number;
  share: number;
  gflop: number;
  gflopPerS: number | null;
}

/** Rows by `group` (kind, phase …), plus "outside kernels" = wall − Σ kernels; shares of the wall time. */
export function summarise(calls: readonly ProfiledCall[], wallMs: number, group: (c: ProfiledCall) => string, order: readonly string[] = []): ProfileRow[] {
  const by = new Map<string, { calls: number; ms: number; flops: number }>();
  for (const name of order) by.set(name, { calls: 0, ms: 0, flops: 0 });
  for (const c of calls) {
    const key = group(c);
    const row = by.get(key) ?? { calls: 0, ms: 0, flops: 0 };
    row.calls += 1;
    row.ms += c.ms;
    row.flops += c.flops;
    by.set(key, row);
  }
  const kernelMs = calls.reduce((a, c) => a + c.ms, 0);
  const rows: ProfileRow[] = [...by].filter(([, r]) => r.calls > 0).map(([kind, r]) => ({
    kind, calls: r.calls, ms: r.ms, share: r.ms / wallMs, gflop: r.flops / 1e9, gflopPerS: r.flops > 0 && r.ms > 0 ? r.flops / 1e6 / r.ms : null,
  }));
  rows.push({ kind: 'outside kernels (JS, batch building, readback)', calls: 0, ms: Math.max(0, wallMs - kernelMs), share: Math.max(0, wallMs - kernelMs) / wallMs, gflop: 0, gflopPerS: null });
  return rows;
}

export type ProfiledCall = KernelCall & { kind: KernelKind; flops: number };

/** Each call's kind and FLOPs, attached for `summarise`. */
export function classify(calls: readonly KernelCall[], loraRank: number): ProfiledCall[] {
  return calls.map((c) => {
    const kind = kernelKind(c, loraRank);
    return { ...c, kind, flops: kernelFlops(c, kind) };
  });
}

/** A markdown table of rows. */
export function profileTable(title: string, rows: readonly ProfileRow[], wallMs: number): string {
  const lines = [`${title}: ${wallMs.toFixed(0)} ms`, '', '| kind | calls | ms | share | GFLOP | GFLOP/s |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.kind} | ${r.calls || ''} | ${r.ms.toFixed(0)} | ${(100 * r.share).toFixed(1)} % | ${r.gflop ? r.gflop.toFixed(2) : ''} | ${r.gflopPerS === null ? '' : r.gflopPerS.toFixed(1)} |`);
  }
  return lines.join('\n');
}
