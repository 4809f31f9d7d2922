// The engine validates every request at the worker boundary: types and ranges are
// checked before a request is queued, and every request — an unknown one included — is answered
// with its id and a named error kind, so the page's promise always settles.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import type { EngineErrorEvent, EngineEvent, EngineRequest } from '../../../src/engine/protocol';
import { EngineSession } from '../../../src/engine/session';
import { checkRequest, MAX_PROMPT_CHARS, samplerSettingsProblem } from '../../../src/engine/validate-request';
import { selectKernels } from '../../../src/kernels';
import { roundHyper } from '../../../src/prefs/rounds';
import type { LoraSnapshot } from '../../../src/prefs/types';
import { tinySnapshot } from '../fixtures/app';

const PROMPT = 'a red circle moves left';
const generate = (fields: Record<string, unknown>) => ({ type: 'generate', id: 7, prompt: PROMPT, seed: 3, steps: 3, ...fields });
const round = (fields: Record<string, unknown>) => ({ type: 'runRound', id: 8, hyper: roundHyper(), pairs: [], judgments: [], rounds: [], videos: {}, ...fields });

/** The error a request is answered with (fails when it passes). */
function refusal(raw: unknown): EngineErrorEvent {
  const checked = checkRequest(raw);
  if (!('error' in checked)) throw new Error(`expected ${JSON.stringify(raw)?.slice(0, 80)} to be refused`);
  return checked.error;
}

describe('checkRequest', () => {
  it('steps 0, −3, 2.5, NaN or 1001 (pure noise before) are refused with the request id', () => {
    for (const steps of [0, -3, 2.5, NaN, 1001, '20']) {
      const e = refusal(generate({ steps }));
      expect(e).toMatchObject({ type: 'error', id: 7, kind: 'prompt' });
      expect(e.message).toMatch(/^engine: generate request 7 was refused: Sampler steps must be a whole number from 1 to 1000 \(got /);
    }
    expect('request' in checkRequest(generate({ steps: 1000 }))).toBe(true);
    expect('request' in checkRequest(generate({ steps: undefined, guidance: undefined }))).toBe(true);
  });

  it('guidance NaN, Infinity, 1e38 or −1 (a black video before) is refused', () => {
    for (const guidance of [NaN, Infinity, 1e38, -1]) expect(refusal(generate({ guidance })).message).toMatch(/Guidance must be a number from 0 to 50/);
    expect('request' in checkRequest(generate({ guidance: 0 }))).toBe(true);
  });

  it('a prompt that is not text (was "prompt.trim is not a function") or too long', () => {
    expect(refusal(generate({ prompt: 42 })).message).toMatch(/the prompt is 42, not text/);
    const long = refusal(generate({ prompt: 'a '.repeat(500_000) }));
    expect(long.message).toMatch(/the prompt is 1000000 characters long; a prompt has at most 200/);
    expect(long.message.length).toBeLessThan(200);
    expect('request' in checkRequest(generate({ prompt: 'x'.repeat(MAX_PROMPT_CHARS) }))).toBe(true);
  });

  it('seeds, rounds and first frames of the wrong type', () => {
    expect(refusal(generate({ seed: NaN })).message).toMatch(/seed NaN is not a whole number/);
    expect(refusal(generate({ round: -1 })).message).toMatch(/round -1 is not a whole number ≥ 0/);
    expect(refusal(generate({ firstFrame: [1, 2, 3] })).message).toMatch(/firstFrame is an array of 3, not RGB bytes/);
  });

  it('runRound: a missing hyper (was a TypeError), settings through validateHyper, records and videos checked', () => {
    expect(refusal(round({ hyper: undefined })).message).toMatch(/^engine: runRound request 8 was refused: hyper is undefined: the round settings, with their lora settings, are missing/);
    expect(refusal(round({ hyper: roundHyper({ steps: 0 }) })).message).toMatch(/Round settings: steps = 0 is invalid/);
    expect(refusal(round({ pairs: [{ id: 'p' }] })).message).toMatch(/pair "p" has no prompt/);
    expect(refusal(round({ videos: { a: [1, 2] } })).message).toMatch(/video "a" is an array of 2, not RGB bytes/);
    const lora: LoraSnapshot = tinySnapshot();
    const nan = { index: 1, status: 'completed', hyper: roundHyper(), metrics: [], judgmentIds: [], lora: { ...lora, alpha: NaN } };
    expect(refusal(round({ rounds: [nan] })).message).toMatch(/round 1's LoRA is incomplete/);
  });

  it('online rounds: labeller, prompts (at most 500, each at most 200 characters), pairs per prompt, threshold', () => {
    const online = { labeller: 'simulated', taste: 'big', prompts: [PROMPT], pairsPerPrompt: 2, confidenceThreshold: 0.7 };
    expect('request' in checkRequest(round({ online }))).toBe(true);
    expect(refusal(round({ online: { ...online, labeller: 'oracle' } })).message).toMatch(/online\.labeller "oracle"/);
    expect(refusal(round({ online: { ...online, prompts: Array(501).fill(PROMPT) } })).message).toMatch(/online\.prompts has 501 prompts; at most 500/);
    expect(refusal(round({ online: { ...online, prompts: [PROMPT, 'y'.repeat(201)] } })).message).toMatch(/prompt 2 is 201 characters long/);
    expect(refusal(round({ online: { ...online, pairsPerPrompt: 0 } })).message).toMatch(/pairsPerPrompt 0/);
    expect(refusal(round({ online: { ...online, confidenceThreshold: NaN } })).message).toMatch(/confidenceThreshold NaN/);
  });

  it('an unknown type is answered with its id (the page waited forever); a request without an id names none', () => {
    expect(refusal({ type: 'explode', id: 12 })).toMatchObject({ id: 12, kind: 'internal', message: expect.stringMatching(/explode request 12 was refused: unknown request type "explode"/) });
    const noId = refusal({ type: 'generate', prompt: PROMPT, seed: 1 });
    expect(noId.id).toBeUndefined();
    expect(noId.message).toMatch(/it has no id/);
    expect(refusal(null)).toMatchObject({ kind: 'internal', message: expect.stringMatching(/must be an object \(got null\)/) });
    expect(refusal({ type: 'init', modelUrl: 3 }).id).toBeUndefined();
  });

  it('samplerSettingsProblem takes the page’s own step limit', () => {
    expect(samplerSettingsProblem({ steps: 300 }, 200)).toMatch(/from 1 to 200 \(got 300\)/);
    expect(samplerSettingsProblem({ steps: 20, guidance: 3 }, 200)).toBeNull();
    expect(samplerSettingsProblem({ steps: 16, solver: 'dpm++2m' })).toBeNull();
    expect(samplerSettingsProblem({ solver: 'DPM' })).toMatch(/Solver "DPM" is not one of euler, dpm\+\+2m/);
  });
});

describe('EngineSession answers every request', () => {
  const session = new EngineSession({
    startBackend: async () => {
      await useWasmBackend();
      selectKernels('wasm');
      return { backend: 'wasm', adapter: 'node' };
    },
    loadCheckpoint: async (url) => new Uint8Array(await readFile(url)),
  });
  const events: EngineEvent[] = [];
  const post = (e: EngineEvent) => events.push(e);
  const answers = (id: number) => events.filter((e) => (e as { id?: number }).id === id);

  beforeAll(async () => {
    await session.submit({ type: 'init', modelUrl: 'public/models/tiny.safetensors', modelName: 'tiny' }, post);
    expect(events[0].type).toBe('ready');
  });
  afterAll(() => session.dispose());

  it('bad requests get exactly one error with their id; the queue goes on to a good one', async () => {
    const bad: unknown[] = [
      generate({ id: 21, steps: 0 }), generate({ id: 22, guidance: NaN }), generate({ id: 23, prompt: 5 }),
      round({ id: 24, hyper: undefined }), { type: 'explode', id: 25 },
    ];
    await Promise.all(bad.map((r) => session.submit(r as EngineRequest, post)));
    for (const id of [21, 22, 23, 24, 25]) {
      expect(answers(id)).toHaveLength(1);
      expect(answers(id)[0].type).toBe('error');
    }
    await session.submit(generate({ id: 26, steps: 2 }) as EngineRequest, post);
    expect(answers(26).at(-1)!.type).toBe('video');
  });

  it('setPolicy with a NaN or overflowing adapter: an error naming the tensor; the policy is unchanged', async () => {
    const good = tinySnapshot();
    await session.submit({ type: 'setPolicy', id: 31, loras: [good] }, post);
    expect(answers(31)).toEqual([{ type: 'policy', id: 31, round: 1 }]);
    const before = session.policy!.params;
    const big = tinySnapshot(2, 1e30);
    await session.submit({ type: 'setPolicy', id: 32, loras: [good, big] }, post);
    expect(answers(32)).toEqual([expect.objectContaining({ type: 'error', id: 32, kind: 'model', message: expect.stringMatching(/Adapter 2 of 2 cannot be merged into tiny: Cannot merge this LoRA: tensors ".*lora_A" and ".*lora_B" would change a weight by up to .*The policy is unchanged \(1 merged/) })]);
    expect(session.policy!.params).toBe(before);
    expect(session.policy!.round).toBe(1);
  });
});
