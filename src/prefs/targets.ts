// The default LoRA targets as plain data, for the round settings (the page imports them and must
// not pull in tfjs); src/model/lora.ts re-exports this list.

/** q, k, v and out of the spatial, temporal and cross attentions (DESIGN §4, Engine issue). */
export const DEFAULT_LORA_TARGETS: readonly string[] = ['attn_spatial', 'attn_temporal', 'attn_cross'].flatMap((a) => ['to_q', 'to_k', 'to_v', 'to_out'].map((p) => `${a}.${p}`));
