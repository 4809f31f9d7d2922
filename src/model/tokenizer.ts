import { formatPrompt, parsePrompt } from '../world/prompt';
import { BOS_ID, PAD_ID, type ModelConfig } from './config';

/**
 * Word-level tokenizer over the closed world vocabulary. A prompt is validated by the world
 * grammar first (unknown words → PromptError naming each of them), then canonicalised so that
 * "A  Red circle moves LEFT." and "a red circle moves left" give the same ids.
 * The empty prompt "" is the unconditional input for classifier-free guidance: just `<bos>`.
 */
export function tokenize(prompt: string, config: ModelConfig): Int32Array {
  const ids = new Int32Array(config.maxTextLength).fill(PAD_ID);
  ids[0] = BOS_ID;
  if (prompt.trim() === '') return ids;
  const words = formatPrompt(parsePrompt(prompt)).split(' ');
  if (words.length + 1 > config.maxTextLength) {
    throw new Error(`Prompt "${prompt}" has ${words.length} words; this model reads at most ${config.maxTextLength - 1}. Shorten it.`);
  }
  words.forEach((word, i) => {
    const id = config.vocab.indexOf(word);
    if (id < 0) {
      // The grammar accepted the word but this checkpoint was trained with an older vocabulary.
      throw new Error(`The word "${word}" is valid in the world grammar but unknown to model "${config.name}" (its vocabulary: ${config.vocab.slice(2).join(', ')}). Use a checkpoint trained on the current vocabulary.`);
    }
    ids[i + 1] = id;
  });
  return ids;
}

/** Ids for a batch of prompts, row-major [B, maxTextLength]. */
export function tokenizeBatch(prompts: string[], config: ModelConfig): Int32Array {
  const out = new Int32Array(prompts.length * config.maxTextLength);
  prompts.forEach((p, i) => out.set(tokenize(p, config), i * config.maxTextLength));
  return out;
}
