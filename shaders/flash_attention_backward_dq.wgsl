// Fused attention backward, part 1 of 2: dQ and the row term δ = rowsum(dO ∘ O), by recomputing
// the probabilities from the saved log-sum-exp (FlashAttention-2, Dao 2023, Algorithm 2; dQ has
// its own pass because WGSL has no float atomics). Part 2, flash_attention_backward_dkdv.wgsl,
// reads δ.
//
//   P_ij = exp(scale · q_i·k_j − lse_i),  dP_ij = dO_i·v_j,  dS_ij = P_ij (dP_ij − δ_i),
//   dQ_i = scale · Σ_j dS_ij k_j.
//
// Same blocks of query rows and the same key ranges as the forward pass (see its header).
// One thread per query row: q, dO and the dQ accumulator in registers (3 · D floats).
// Workgroup memory: 2 tiles × TILE_KEYS × HEAD_DIM × 4 B ≤ 16 KiB.
// Storage buffers: 8 (q, k, v, o, dO, lse, dq, delta) — the docs/architecture.md §5 budget.
//
// Not complete on its own: src/kernels/flash-attention-backward.ts appends
// flash_attention_common.wgsl (the entry point `main`, Block, locate_block, key_ranges) and
// flash_attention_query_side.wgsl (Params, k_tile, v_tile, key_range, load_kv_tile).

const HEAD_DIM: u32 = 32u; // @specialize D, a multiple of 4
const BLOCK_ROWS: u32 = 64u; // @specialize query rows per workgroup = threads per workgroup
const TILE_KEYS: u32 = 32u; // @specialize keys per K/V tile in workgroup memory
const MASK: u32 = 0u; // @specialize 0 full, 1 causal, 2 frame, 3 sparse-causal

const D4: u32 = HEAD_DIM / 4u;

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> o: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> d_o: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> delta: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

// One block of query rows (`main` in flash_attention_common.wgsl calls it).
fn run_block(blk: Block, lid: u32) {
  // 1. Rows as in the forward pass.
  let seq = blk.seq;
  let row = blk.first + min(lid, blk.count - 1u);
  let owns_row = lid < blk.count;
  let ranges = key_ranges(blk.group, blk.first + blk.count - 1u);
  let kv_base = seq * params.lk;

  // 2. This row's q, dO, lse and δ = dO·O.
  let base = (seq * params.lq + row) * D4;
  var qr: array<vec4<f32>, D4>;
  var dor: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  var dd = vec4<f32>(0.0);
  for (var c = 0u; c < D4; c++) {
    qr[c] = q[base + c] * params.scale;
    dor[c] = d_o[base + c];
    dd = fma(dor[c], o[base + c], dd);
    acc[c] = vec4<f32>(0.0);
  }
  let delta_i = dd.x + dd.y + dd.z + dd.w;
  let lse_i = lse[seq * params.lq + row];

  // 3. Stream K/V tiles; recompute P and accumulate dS · K.
  for (var r = 0u; r < 2u; r++) {
    let span = key_range(ranges, r);
    for (var t0 = span.x; t0 < span.y; t0 += TILE_KEYS) {
      let n = load_kv_tile(kv_base + t0, min(TILE_KEYS, span.y - t0), lid);
      for (var j = 0u; j < n; j++) {
        if (MASK == 1u && i32(t0 + j) > i32(row) + params.causal_offset) {
          continue;
        }
        var s = vec4<f32>(0.0);
        var dp = vec4<f32>(0.0);
        for (var c = 0u; c < D4; c++) {
          s = fma(qr[c], k_tile[j * D4 + c], s);
          dp = fma(dor[c], v_tile[j * D4 + c], dp);
        }
        let p = exp(s.x + s.y + s.z + s.w - lse_i);
        let ds = p * (dp.x + dp.y + dp.z + dp.w - delta_i);
        for (var c = 0u; c < D4; c++) {
          acc[c] = fma(vec4<f32>(ds), k_tile[j * D4 + c], acc[c]);
        }
      }
    }
  }

  // 4. dQ = scale · Σ dS k, and δ for part 2.
  if (owns_row) {
    for (var c = 0u; c < D4; c++) {
      dq[base + c] = acc[c] * params.scale;
    }
    delta[seq * params.lq + row] = delta_i;
  }
}
