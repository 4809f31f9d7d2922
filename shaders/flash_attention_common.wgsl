// Shared by the three flash-attention shaders (flash_attention_forward.wgsl,
// flash_attention_backward_dq.wgsl, flash_attention_backward_dkdv.wgsl); src/kernels/wgsl.ts
// `withLibraries` appends it to each of them. It uses what each of them declares: the constants
// `MASK` and `BLOCK_SIZE` (threads per workgroup = rows or keys per block), `fn group_size()`,
// `fn run_block(blk: Block, lid: u32)` (the shader's work on one block), and a `params` uniform
// with num_blocks, blocks_per_group, groups_per_seq, lk, tokens_per_frame and causal_offset.

// One workgroup's block of a sequence: `count` consecutive rows (or keys) from `first` within
// sequence `seq`, all in group `group`. Uniform across the workgroup.
struct Block {
  has_work: bool, // false for the spare workgroups of the dispatch grid
  seq: u32,
  group: u32,
  first: u32,
  count: u32,
}

// The entry point of all three shaders: which sequence, group and rows (or keys) this workgroup
// owns (uniform across the workgroup), then the shader's own work on them. The dispatch grid may
// have a few spare workgroups; they return at once.
@compute @workgroup_size(BLOCK_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let blk = locate_block(wid, nwg, BLOCK_SIZE, group_size());
  if (!blk.has_work) {
    return;
  }
  run_block(blk, lid);
}

// The block of workgroup `wid`; blocks of `block_size` never straddle groups of `group_size`.
fn locate_block(wid: vec3<u32>, nwg: vec3<u32>, block_size: u32, group_size: u32) -> Block {
  let block = wid.x + wid.y * nwg.x;
  let blocks_per_seq = params.groups_per_seq * params.blocks_per_group;
  let group = (block % blocks_per_seq) / params.blocks_per_group;
  let first_in_group = (block % params.blocks_per_group) * block_size;
  return Block(block < params.num_blocks, block / blocks_per_seq, group, group * group_size + first_in_group,
               min(block_size, group_size - first_in_group));
}

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
