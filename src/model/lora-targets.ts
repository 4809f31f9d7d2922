// The default LoRA targets as plain data (no tfjs), for src/model/lora.ts and the round settings
// the page shows (src/prefs/rounds.ts).

/** q, k, v and out of the spatial, temporal and cross attentions (docs/architecture.md §4). */
export const DEFAULT_LORA_TARGETS: readonly string[] = ['attn_spatial', 'attn_temporal', 'attn_cross'].flatMap((a) => ['to_q', 'to_k', 'to_v', 'to_out'].map((p) => `${a}.${p}`));
