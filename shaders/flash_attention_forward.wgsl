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
//
// Not complete on its own: src/kernels/flash-attention-forward.ts appends
// flash_attention_common.wgsl (the entry point `main`, Block, locate_block, key_ranges) and
// flash_attention_query_side.wgsl (Params, k_tile, v_tile, key_range, load_kv_tile).

const HEAD_DIM: u32 = 32u; // @specialize D, a multiple of 4
const BLOCK_ROWS: u32 = 64u; // @specialize query rows per workgroup = threads per workgroup
const TILE_KEYS: u32 = 32u; // @specialize keys per K/V tile in workgroup memory
const MASK: u32 = 0u; // @specialize 0 full, 1 causal, 2 frame, 3 sparse-causal

const D4: u32 = HEAD_DIM / 4u;
const NEG_BIG: f32 = -3.0e38; // "minus infinity" that keeps exp() and subtraction finite

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// One block of query rows (`main` in flash_attention_common.wgsl calls it).
fn run_block(blk: Block, lid: u32) {
  // 1. This thread's row; idle threads shadow the last row.
  let seq = blk.seq;
  let row = blk.first + min(lid, blk.count - 1u); // row within the sequence
  let owns_row = lid < blk.count;
  let ranges = key_ranges(blk.group, blk.first + blk.count - 1u);
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
    let span = key_range(ranges, r);
    for (var t0 = span.x; t0 < span.y; t0 += TILE_KEYS) {
      // 3a. Cooperative load of K and V rows [t0, t0 + TILE_KEYS) ∩ [span.x, span.y).
      let n = load_kv_tile(kv_base + t0, min(TILE_KEYS, span.y - t0), lid);

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
