/**
 * A DPO step's inputs for the cost scripts (profile:round, bench:cost): `pairs` training prompts,
 * each a pair of a render and the same render under noise, and their SFT sources. What a step
 * trains on does not change what it costs.
 */
import type { ModelConfig } from '../../src/model/config';
import type { PreferenceSlot, SftSource } from '../../src/engine/preference-batch';
import { addNoise } from '../../src/world/degrade';
import { formatPrompt, trainingSpecs } from '../../src/world/prompt';
import { render } from '../../src/world/render';

export function stepFixture(config: ModelConfig, pairs: number): { prompts: string[]; slots: PreferenceSlot[]; sft: SftSource[] } {
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const prompts = trainingSpecs().slice(0, pairs).map(formatPrompt);
  const slots: PreferenceSlot[] = prompts.map((prompt, i) => {
    const clean = render(prompt, i, shape);
    return [
      { prompt, firstFrame: null, video: clean.data, desirable: true },
      { prompt, firstFrame: null, video: addNoise(clean, 0.3, i).data, desirable: false },
    ];
  });
  return { prompts, slots, sft: prompts.map((prompt) => ({ prompt, firstFrameSeed: null })) };
}
