// Fused attention forward: O = softmax(scale · Q Kᵀ + mask) V and the row log-sum-exp, without an
// Lq × Lk buffer. FlashAttention-2 (Dao 2023), Algorithm 1: each workgroup owns a block of query
// rows, streams K/V tiles through workgroup memory and keeps an online softmax (running max m,
// running sum l, unnormalised accumulator) per row.
//
// Layout: q [S, Lq, D], k and v [S, Lk, D] with S = B·H sequences, rows contiguous; out [S, Lq, D];
// lse [S, Lq] = m + log(l) in units of the scaled score (saved for the backward pass).
//
// Masks are key *ranges*, never an Lq × Lk mask (the host side is src/kernels/flash-attention.ts):
//   full           every query row sees keys [0, Lk)
//   causal         row i sees keys j ≤ i + (Lk − Lq)  (bottom-right aligned, as the reference)
//   frame          rows of frame f (N tokens each) see keys [f·N, f·N + N)
//   sparse-causal  rows of frame f see frame 0 and frame f − 1: [0, N) and [(f−1)·N, f·N) for
//                  f ≥ 2; frames 0 and 1 see [0, N) once (the reference lists frame 0 twice for
//                  them, which gives the same softmax).
// A "group" is the set of query rows that share their key ranges: a whole sequence (full,
// causal) or one frame (frame, sparse-causal). Blocks never straddle two groups.
//
// One thread per query row: q and the accumulator stay in registers (2 · D floats).
// Workgroup memory: 2 tiles × TILE_KEYS × HEAD_DIM × 4 B ≤ 16 KiB (TILE_KEYS = 32 at D = 64).

const HEAD_DIM: u32 = 32u; // @specialize D, a multiple of 4
const BLOCK_ROWS: u32 = 64u; // @specialize query rows per workgroup = threads per workgroup
const TILE_KEYS: u32 = 32u; // @specialize keys per K/V tile in workgroup memory
const MASK: u32 = 0u; // @specialize 0 full, 1 causal, 2 frame, 3 sparse-causal

const D4: u32 = HEAD_DIM / 4u;
const NEG_BIG: f32 = -3.0e38; // "minus infinity" that keeps exp() and subtraction finite

struct Params {
  num_blocks: u32, // workgroups with work; the dispatch grid may have a few more
  blocks_per_group: u32,
  groups_per_seq: u32, // 1 (full, causal) or the number of frames
  group_rows: u32, // query rows per group: Lq, or tokens per frame
  lq: u32,
  lk: u32,
  tokens_per_frame: u32,
  causal_offset: i32, // Lk − Lq
  scale: f32, // 1 / sqrt(D)
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> k_tile: array<vec4<f32>, TILE_KEYS * D4>;
var<workgroup> v_tile: array<vec4<f32>, TILE_KEYS * D4>;

// Key ranges [x, y) and [z, w) of one block of query rows; an empty second range is (0, 0).
fn key_ranges(group: u32, last_row: u32) -> vec4<u32> {
  let n = params.tokens_per_frame;
  if (MASK == 1u) {
    let end = clamp(i32(last_row) + params.causal_offset + 1, 0, i32(params.lk));
    return vec4<u32>(0u, u32(end), 0u, 0u);
  }
  if (MASK == 2u) {
    return vec4<u32>(group * n, group * n + n, 0u, 0u);
  }
  if (MASK == 3u) {
    if (group >= 2u) {
      return vec4<u32>(0u, n, (group - 1u) * n, group * n);
    }
    return vec4<u32>(0u, n, 0u, 0u);
  }
  return vec4<u32>(0u, params.lk, 0u, 0u);
}

@compute @workgroup_size(BLOCK_ROWS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  // 1. Which sequence, group and rows this workgroup owns (uniform across the workgroup).
  let block = wid.x + wid.y * nwg.x;
  if (block >= params.num_blocks) {
    return;
  }
  let blocks_per_seq = params.groups_per_seq * params.blocks_per_group;
  let seq = block / blocks_per_seq;
  let group = (block % blocks_per_seq) / params.blocks_per_group;
  let first_in_group = (block % params.blocks_per_group) * BLOCK_ROWS;
  let rows_here = min(BLOCK_ROWS, params.group_rows - first_in_group);
  let row_in_group = first_in_group + min(lid, rows_here - 1u); // idle threads shadow the last row
  let row = group * params.group_rows + row_in_group; // row within the sequence
  let owns_row = lid < rows_here;
  let ranges = key_ranges(group, group * params.group_rows + first_in_group + rows_here - 1u);
  let kv_base = seq * params.lk;

  // 2. The query row, pre-scaled, in registers.
  var qr: array<vec4<f32>, D4>;
  let q_base = (seq * params.lq + row) * D4;
  for (var c = 0u; c < D4; c++) {
    qr[c] = q[q_base + c] * params.scale;
  }
  var acc: array<vec4<f32>, D4>;
  for (var c = 0u; c < D4; c++) {
    acc[c] = vec4<f32>(0.0);
  }
  var m = NEG_BIG;
  var l = 0.0;

  // 3. Stream the key ranges tile by tile.
  for (var r = 0u; r < 2u; r++) {
    let start = select(ranges.z, ranges.x, r == 0u);
    let end = select(ranges.w, ranges.y, r == 0u);
    for (var t0 = start; t0 < end; t0 += TILE_KEYS) {
      // 3a. Cooperative load of K and V rows [t0, t0 + TILE_KEYS) ∩ [start, end).
      workgroupBarrier(); // everyone is done with the previous tile
      let n = min(TILE_KEYS, end - t0);
      for (var i = lid; i < n * D4; i += BLOCK_ROWS) {
        let g = (kv_base + t0) * D4 + i;
        k_tile[i] = k[g];
        v_tile[i] = v[g];
      }
      workgroupBarrier();

      // 3b. Scores of this row against the tile, and their max.
      var s: array<f32, TILE_KEYS>;
      var tile_max = NEG_BIG;
      for (var j = 0u; j < n; j++) {
        var d = vec4<f32>(0.0);
        for (var c = 0u; c < D4; c++) {
          d = fma(qr[c], k_tile[j * D4 + c], d);
        }
        var sj = d.x + d.y + d.z + d.w;
        if (MASK == 1u && i32(t0 + j) > i32(row) + params.causal_offset) {
          sj = NEG_BIG;
        }
        s[j] = sj;
        tile_max = max(tile_max, sj);
      }

      // 3c. Online softmax: rescale what we have, add this tile (FA-2 keeps O unnormalised).
      let m_new = max(m, tile_max);
      if (m_new > NEG_BIG) {
        let alpha = exp(m - m_new);
        l *= alpha;
        for (var c = 0u; c < D4; c++) {
          acc[c] *= alpha;
        }
        for (var j = 0u; j < n; j++) {
          let p = exp(s[j] - m_new);
          l += p;
          for (var c = 0u; c < D4; c++) {
            acc[c] = fma(vec4<f32>(p), v_tile[j * D4 + c], acc[c]);
          }
        }
        m = m_new;
      }
    }
  }

  // 4. Normalise once and write O and the log-sum-exp.
  if (owns_row) {
    let inv = select(0.0, 1.0 / l, l > 0.0);
    let o_base = (seq * params.lq + row) * D4;
    for (var c = 0u; c < D4; c++) {
      out[o_base + c] = acc[c] * inv;
    }
    lse[seq * params.lq + row] = select(NEG_BIG, m + log(l), l > 0.0);
  }
}
