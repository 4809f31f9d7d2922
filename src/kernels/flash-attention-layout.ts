/**
 * How the fused attention kernels cut the work: shared by the forward and backward modules, plain
 * TypeScript (no tfjs, no GPU), so the numbers are easy to check.
 *
 * A *group* is a set of rows that share their ranges on the other side: for the query side
 * (forward, dQ) the rows that see the same key ranges — a whole sequence (full, causal) or one
 * frame (frame, sparse-causal); for the key side (dK, dV) the keys seen by the same query ranges.
 * Each workgroup owns one block of ≤ `block` consecutive rows of one group, one thread per row.
 */
import type { AttentionMask } from '../model/attention';

/** The mask kinds as the shaders number them (`MASK`). */
export const MASK_CODE = { full: 0, causal: 1, frame: 2, 'sparse-causal': 3 } as const satisfies Record<AttentionMask['kind'], number>;

/** Head dimensions the kernels take: a multiple of 4 (vec4 loads), at most 64 (registers, tiles). */
export function supportsHeadDim(d: number): boolean {
  return d % 4 === 0 && d >= 4 && d <= 64;
}

export interface AttentionShape {
  /** Sequences: B·H. */
  seqs: number;
  lq: number;
  lk: number;
  d: number;
}

export interface BlockLayout {
  /** Threads per workgroup = rows per block (a power of two, 8…64). */
  block: number;
  /** Rows per group: Lq (or Lk) for full and causal, tokens per frame otherwise. */
  groupRows: number;
  groupsPerSeq: number;
  blocksPerGroup: number;
  /** Workgroups with work: seqs · groupsPerSeq · blocksPerGroup. */
  numBlocks: number;
}

/** 16 KiB of workgroup memory (docs/architecture.md §5), in f32 words. */
export const WORKGROUP_FLOATS = (16 * 1024) / 4;

/**
 * Rows per tile of the streamed side so that `tiles` tiles of [rows, D] plus `extraPerRow` floats
 * per row fit 16 KiB: D = 64 → 32 keys (forward, dQ: 2 × 32 × 64 × 4 B = 16 KiB), 16 query rows
 * (dK/dV: 2 × 16 × 64 × 4 B + 2 × 16 × 4 B = 8.1 KiB).
 */
export function tileRows(d: number, tiles: number, extraPerRow: number, max = 64): number {
  let rows = max;
  while (rows > 4 && rows * (tiles * d + extraPerRow) > WORKGROUP_FLOATS) rows /= 2;
  return rows;
}

/** Rows per group and groups per sequence for a sequence of `l` rows. */
function groupsOf(mask: AttentionMask, l: number): { groupRows: number; groupsPerSeq: number } {
  return mask.kind === 'frame' || mask.kind === 'sparse-causal'
    ? { groupRows: mask.tokensPerFrame, groupsPerSeq: l / mask.tokensPerFrame }
    : { groupRows: l, groupsPerSeq: 1 };
}

function blocks(seqs: number, { groupRows, groupsPerSeq }: { groupRows: number; groupsPerSeq: number }): BlockLayout {
  // One thread per row; small groups (8 frames in temporal attention, 16 tokens per frame) get
  // small workgroups rather than idle threads.
  let block = 8;
  while (block < groupRows && block < 64) block *= 2;
  const blocksPerGroup = Math.ceil(groupRows / block);
  return { block, groupRows, groupsPerSeq, blocksPerGroup, numBlocks: seqs * groupsPerSeq * blocksPerGroup };
}

/** Query-side blocks (forward and dQ). */
export function queryBlocks(shape: AttentionShape, mask: AttentionMask): BlockLayout {
  return blocks(shape.seqs, groupsOf(mask, shape.lq));
}

/** Key-side blocks (dK, dV). */
export function keyBlocks(shape: AttentionShape, mask: AttentionMask): BlockLayout {
  return blocks(shape.seqs, groupsOf(mask, shape.lk));
}

/** Multiply-adds of the fused forward pass, counting only the keys each row sees (for GFLOP/s). */
export function attentionFlops(shape: AttentionShape, mask: AttentionMask): number {
  const { seqs, lq, lk, d } = shape;
  let pairs: number;
  switch (mask.kind) {
    case 'full':
      pairs = lq * lk;
      break;
    case 'causal': {
      pairs = 0;
      for (let i = 0; i < lq; i++) pairs += Math.max(0, Math.min(lk, i + (lk - lq) + 1));
      break;
    }
    case 'frame':
      pairs = lq * mask.tokensPerFrame;
      break;
    case 'sparse-causal': {
      const n = mask.tokensPerFrame;
      const f = lq / n;
      pairs = n * n * Math.min(f, 2) + 2 * n * n * Math.max(0, f - 2);
      break;
    }
  }
  return seqs * pairs * d * 4; // QKᵀ and PV: 2 flops per multiply-add each
}
