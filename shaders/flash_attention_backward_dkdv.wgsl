// Fused attention backward, part 2 of 2: dK and dV (FlashAttention-2, Dao 2023, Algorithm 2).
// Each workgroup owns a block of keys, streams the query rows that attend to them (q, dO, lse and
// δ from part 1) through workgroup memory and recomputes P:
//
//   P_ij = exp(scale · q_i·k_j − lse_i),  dV_j = Σ_i P_ij dO_i,
//   dS_ij = P_ij (dO_i·v_j − δ_i),        dK_j = scale · Σ_i dS_ij q_i.
//
// The transposed masks, as query ranges per block of keys (a "group" is now the set of keys
// that share their query ranges: the whole sequence, or one frame g of N tokens):
//   full           queries [0, Lq)
//   causal         queries i ≥ j − (Lk − Lq): [max(0, first key − offset), Lq)
//   frame          queries [g·N, g·N + N)
//   sparse-causal  frame 0 is seen by every frame: [0, Lq); frame g ≥ 1 only by frame g + 1:
//                  [(g+1)·N, (g+2)·N), empty for the last frame.
//
// One thread per key: k, v and the dK, dV accumulators in registers (4 · D floats).
// Workgroup memory: 2 tiles × TILE_ROWS × HEAD_DIM × 4 B + 2 × TILE_ROWS × 4 B ≤ 16 KiB
// (TILE_ROWS = 16 at D = 64). Storage buffers: 8 (q, k, v, dO, lse, delta, dk, dv).
//
// Not complete on its own: src/kernels/flash-attention-backward.ts appends
// flash_attention_common.wgsl (the entry point `main`, Block, locate_block).

const HEAD_DIM: u32 = 32u; // @specialize D, a multiple of 4
const BLOCK_KEYS: u32 = 64u; // @specialize keys per workgroup = threads per workgroup
const TILE_ROWS: u32 = 32u; // @specialize query rows per tile in workgroup memory
const MASK: u32 = 0u; // @specialize 0 full, 1 causal, 2 frame, 3 sparse-causal

const D4: u32 = HEAD_DIM / 4u;
const BLOCK_SIZE: u32 = BLOCK_KEYS; // for `main` in flash_attention_common.wgsl

struct Params {
  num_blocks: u32,
  blocks_per_group: u32,
  groups_per_seq: u32, // 1 (full, causal) or the number of frames
  group_keys: u32, // keys per group: Lk, or tokens per frame
  lq: u32,
  lk: u32,
  tokens_per_frame: u32,
  causal_offset: i32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> d_o: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> delta: array<f32>;
@group(0) @binding(6) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dv: array<vec4<f32>>;
@group(0) @binding(8) var<uniform> params: Params;

var<workgroup> q_tile: array<vec4<f32>, TILE_ROWS * D4>;
var<workgroup> do_tile: array<vec4<f32>, TILE_ROWS * D4>;
var<workgroup> lse_tile: array<f32, TILE_ROWS>;
var<workgroup> delta_tile: array<f32, TILE_ROWS>;

fn group_size() -> u32 {
  return params.group_keys;
}

// Query range [x, y) that sees any key of a block starting at `first_key`.
fn query_range(group: u32, first_key: u32) -> vec2<u32> {
  let n = params.tokens_per_frame;
  if (MASK == 1u) {
    return vec2<u32>(u32(max(0, i32(first_key) - params.causal_offset)), params.lq);
  }
  if (MASK == 2u) {
    return vec2<u32>(group * n, group * n + n);
  }
  if (MASK == 3u) {
    if (group == 0u) {
      return vec2<u32>(0u, params.lq);
    }
    if (group + 2u <= params.groups_per_seq) {
      return vec2<u32>((group + 1u) * n, (group + 2u) * n);
    }
    return vec2<u32>(0u, 0u);
  }
  return vec2<u32>(0u, params.lq);
}

// One block of keys (`main` in flash_attention_common.wgsl calls it).
fn run_block(blk: Block, lid: u32) {
  // 1. This thread's key; idle threads shadow the last key.
  let seq = blk.seq;
  let key = blk.first + min(lid, blk.count - 1u);
  let owns_key = lid < blk.count;
  let range = query_range(blk.group, blk.first);
  let q_seq = seq * params.lq;

  // 2. This key's k and v in registers.
  let base = (seq * params.lk + key) * D4;
  var kr: array<vec4<f32>, D4>;
  var vr: array<vec4<f32>, D4>;
  var dk_acc: array<vec4<f32>, D4>;
  var dv_acc: array<vec4<f32>, D4>;
  for (var c = 0u; c < D4; c++) {
    kr[c] = k[base + c] * params.scale;
    vr[c] = v[base + c];
    dk_acc[c] = vec4<f32>(0.0);
    dv_acc[c] = vec4<f32>(0.0);
  }

  // 3. Stream the query rows that see this block.
  for (var t0 = range.x; t0 < range.y; t0 += TILE_ROWS) {
    workgroupBarrier();
    let n = min(TILE_ROWS, range.y - t0);
    for (var i = lid; i < n * D4; i += BLOCK_KEYS) {
      let g = (q_seq + t0) * D4 + i;
      q_tile[i] = q[g];
      do_tile[i] = d_o[g];
    }
    for (var i = lid; i < n; i += BLOCK_KEYS) {
      lse_tile[i] = lse[q_seq + t0 + i];
      delta_tile[i] = delta[q_seq + t0 + i];
    }
    workgroupBarrier();

    for (var i = 0u; i < n; i++) {
      if (MASK == 1u && i32(key) > i32(t0 + i) + params.causal_offset) {
        continue;
      }
      var s = vec4<f32>(0.0);
      var dp = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) {
        s = fma(q_tile[i * D4 + c], kr[c], s);
        dp = fma(do_tile[i * D4 + c], vr[c], dp);
      }
      let p = exp(s.x + s.y + s.z + s.w - lse_tile[i]);
      let ds = p * (dp.x + dp.y + dp.z + dp.w - delta_tile[i]);
      for (var c = 0u; c < D4; c++) {
        dv_acc[c] = fma(vec4<f32>(p), do_tile[i * D4 + c], dv_acc[c]);
        dk_acc[c] = fma(vec4<f32>(ds), q_tile[i * D4 + c], dk_acc[c]);
      }
    }
  }

  // 4. dK = scale · Σ dS q (kr was pre-scaled for the scores only), dV.
  if (owns_key) {
    for (var c = 0u; c < D4; c++) {
      dk[base + c] = dk_acc[c] * params.scale;
      dv[base + c] = dv_acc[c];
    }
  }
}
