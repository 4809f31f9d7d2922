// Shared by the query-side shaders (flash_attention_forward.wgsl and
// flash_attention_backward_dq.wgsl), appended by src/kernels/wgsl.ts `withLibraries` after
// flash_attention_common.wgsl: their uniforms, blocks and K/V tiles in workgroup memory. It uses
// their D4, TILE_KEYS, BLOCK_ROWS and the `k`, `v` storage buffers.

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

const BLOCK_SIZE: u32 = BLOCK_ROWS; // for `main` in flash_attention_common.wgsl

fn group_size() -> u32 {
  return params.group_rows;
}

var<workgroup> k_tile: array<vec4<f32>, TILE_KEYS * D4>;
var<workgroup> v_tile: array<vec4<f32>, TILE_KEYS * D4>;

// Key range r (0 or 1) of `ranges` from key_ranges, as [x, y).
fn key_range(ranges: vec4<u32>, r: u32) -> vec2<u32> {
  return select(ranges.zw, ranges.xy, r == 0u);
}

// Cooperative load of K and V rows [first, first + n) (rows of the flattened [S·Lk, D] buffers)
// into the tiles, between barriers; returns n. Call from uniform control flow.
fn load_kv_tile(first: u32, n: u32, lid: u32) -> u32 {
  workgroupBarrier(); // everyone is done with the previous tile
  for (var i = lid; i < n * D4; i += BLOCK_ROWS) {
    let g = first * D4 + i;
    k_tile[i] = k[g];
    v_tile[i] = v[g];
  }
  workgroupBarrier();
  return n;
}
