// Every request is checked here, at the worker boundary, before it is queued (EngineSession.submit):
// the page is one sender, but a request that reaches the engine with a wrong type or a value out
// of range must not become pure noise (steps 0), a black video (guidance NaN), a TypeError deep
// in the sampler, or an answer without its id that leaves the page's promise pending forever.
// Plain data only (no tfjs): the page shares the limits and the sampler check.
import { checkJudgment, checkPair, checkRound, isNumber, isObject, isString, throwingCheck } from '../prefs/check-records';
import { validateHyper } from '../prefs/rounds';
import { isSamplerName, SAMPLERS } from '../diffusion/sampler-defaults';
import { BACKEND_NAMES, type EngineErrorEvent, type EngineRequest, type ErrorKind } from './protocol';

/** Sampler steps a request may ask for (the page's forms allow fewer). */
export const MAX_SAMPLE_STEPS = 1000;
/** Classifier-free guidance scale: 0 (unconditional) to 50 (far past any useful value). */
export const MAX_GUIDANCE = 50;
/** A prompt of the world's grammar is a few words; 200 characters is far beyond any valid one. */
export const MAX_PROMPT_CHARS = 200;
/** Prompts in one box or one online round. */
export const MAX_PROMPTS = 500;
/** Pairs an online round samples per prompt (the Generate form's limit too). */
export const MAX_PAIRS_PER_PROMPT = 64;

const REQUEST_TYPES = ['init', 'generate', 'setPolicy', 'runRound', 'cancel', 'critic'] as const;

/** A value as an error message shows it: its kind and at most 40 characters of it. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.length > 40 ? `a ${v.length}-character text` : JSON.stringify(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`;
}

/** `null`, or why these sampler settings are refused (`undefined`: the engine's default). */
export function samplerSettingsProblem(s: { steps?: unknown; guidance?: unknown; solver?: unknown }, maxSteps = MAX_SAMPLE_STEPS): string | null {
  const { steps, guidance, solver } = s;
  if (solver !== undefined && !isSamplerName(solver)) {
    return `Solver ${describeValue(solver)} is not one of ${SAMPLERS.join(', ')}`;
  }
  if (steps !== undefined && !(Number.isInteger(steps) && (steps as number) >= 1 && (steps as number) <= maxSteps)) {
    return `Sampler steps must be a whole number from 1 to ${maxSteps} (got ${describeValue(steps)})`;
  }
  if (guidance !== undefined && !(isNumber(guidance) && guidance >= 0 && guidance <= MAX_GUIDANCE)) {
    return `Guidance must be a number from 0 to ${MAX_GUIDANCE} (got ${describeValue(guidance)})`;
  }
  return null;
}

/** `null`, or why `prompt` (named `where`) is refused: not text, or longer than MAX_PROMPT_CHARS. */
export function promptProblem(prompt: unknown, where: string): string | null {
  if (typeof prompt !== 'string') return `${where} is ${describeValue(prompt)}, not text`;
  if (prompt.length > MAX_PROMPT_CHARS) return `${where} is ${prompt.length} characters long; a prompt has at most ${MAX_PROMPT_CHARS}`;
  return null;
}

class InvalidRequest extends Error {
  constructor(message: string, readonly kind: ErrorKind) {
    super(message);
  }
}

/** Asserts a field: a failure is the person's to fix (kind `prompt`), as the engine's other input errors. */
const need: (condition: unknown, detail: string) => asserts condition = (condition, detail) => {
  if (!condition) throw new InvalidRequest(detail, 'prompt');
};
const problem = (detail: string | null) => need(detail === null, detail!);

function checkVideos(videos: unknown): void {
  need(isObject(videos), `videos is ${describeValue(videos)}, not an object of RGB bytes by id`);
  for (const [id, bytes] of Object.entries(videos)) need(bytes instanceof Uint8Array, `video "${id}" is ${describeValue(bytes)}, not RGB bytes (Uint8Array)`);
}

/** Pairs and judgments with the checks a restored backup gets (prefs/check-records.ts). */
function checkRecords(r: Record<string, unknown>): void {
  need(Array.isArray(r.pairs) && Array.isArray(r.judgments), `pairs and judgments must be arrays (got ${describeValue(r.pairs)} and ${describeValue(r.judgments)})`);
  const check = (run: () => void) => {
    try {
      run();
    } catch (e) {
      need(false, (e as Error).message);
    }
  };
  r.pairs.forEach((p, i) => check(() => checkPair(p, `pair ${i + 1}`, throwingCheck)));
  r.judgments.forEach((j, i) => check(() => checkJudgment(j, `judgment ${i + 1}`, null, throwingCheck)));
  if (r.type === 'runRound') {
    need(Array.isArray(r.rounds), `rounds is ${describeValue(r.rounds)}, not an array`);
    r.rounds.forEach((round, i) => check(() => checkRound(round, `round record ${i + 1}`, throwingCheck)));
  }
}

function checkPrompts(prompts: unknown, where: string): void {
  need(Array.isArray(prompts), `${where} is ${describeValue(prompts)}, not a list of prompts`);
  need(prompts.length <= MAX_PROMPTS, `${where} has ${prompts.length} prompts; at most ${MAX_PROMPTS} at a time`);
  prompts.forEach((p, i) => problem(promptProblem(p, `prompt ${i + 1}`)));
}

function checkFields(r: Record<string, unknown>): void {
  switch (r.type as (typeof REQUEST_TYPES)[number]) {
    case 'init':
      need(isString(r.modelUrl) && r.modelUrl.length > 0 && isString(r.modelName), 'modelUrl and modelName must be text');
      need(r.backend === undefined || BACKEND_NAMES.includes(r.backend as never), `backend ${describeValue(r.backend)} is not one of ${BACKEND_NAMES.join(', ')}`);
      return;
    case 'generate':
      problem(promptProblem(r.prompt, 'the prompt'));
      need(Number.isSafeInteger(r.seed), `seed ${describeValue(r.seed)} is not a whole number`);
      problem(samplerSettingsProblem(r));
      need(r.firstFrame === undefined || r.firstFrame === null || r.firstFrame instanceof Uint8Array, `firstFrame is ${describeValue(r.firstFrame)}, not RGB bytes`);
      need(r.round === undefined || (Number.isInteger(r.round) && (r.round as number) >= 0), `round ${describeValue(r.round)} is not a whole number ≥ 0`);
      return;
    case 'setPolicy':
      need(Array.isArray(r.loras) && r.loras.every(isObject), `loras must be an array of adapters (got ${describeValue(r.loras)})`);
      return;
    case 'runRound': {
      const { hyper, online } = r;
      need(isObject(hyper) && isObject(hyper.lora), `hyper is ${describeValue(hyper)}: the round settings, with their lora settings, are missing`);
      try {
        validateHyper(hyper as never);
      } catch (e) {
        need(false, (e as Error).message);
      }
      checkRecords(r);
      checkVideos(r.videos);
      if (online === undefined) return;
      need(isObject(online), `online is ${describeValue(online)}, not the online round's settings`);
      need(online.labeller === 'critic' || online.labeller === 'simulated', `online.labeller ${describeValue(online.labeller)} is not "critic" or "simulated"`);
      need(online.taste === undefined || isString(online.taste), `online.taste ${describeValue(online.taste)} is not a taste's name`);
      checkPrompts(online.prompts, 'online.prompts');
      need(Number.isInteger(online.pairsPerPrompt) && (online.pairsPerPrompt as number) >= 1 && (online.pairsPerPrompt as number) <= MAX_PAIRS_PER_PROMPT, `online.pairsPerPrompt ${describeValue(online.pairsPerPrompt)} is not a whole number from 1 to ${MAX_PAIRS_PER_PROMPT}`);
      need(isNumber(online.confidenceThreshold) && online.confidenceThreshold >= 0 && online.confidenceThreshold <= 1, `online.confidenceThreshold ${describeValue(online.confidenceThreshold)} is not a number from 0 to 1`);
      return;
    }
    case 'critic':
      checkRecords(r);
      checkVideos(r.videos);
      need(Array.isArray(r.hintPairIds) && r.hintPairIds.every(isString), `hintPairIds must be an array of pair ids (got ${describeValue(r.hintPairIds)})`);
      return;
    case 'cancel':
      return; // an id that names no request cancels nothing
    default:
      throw new InvalidRequest(`unknown request type ${describeValue(r.type)} (expected one of ${REQUEST_TYPES.join(', ')})`, 'internal');
  }
}

/**
 * The request, or the `error` event that answers it: with its id whenever it has one (so the
 * page's promise settles), naming the request and the field, with a kind. `init` has no id; a
 * request without a usable id is answered as a worker-level error.
 */
export function checkRequest(raw: unknown): { request: EngineRequest } | { error: EngineErrorEvent } {
  if (!isObject(raw)) return { error: { type: 'error', message: `engine: a request must be an object (got ${describeValue(raw)}).`, kind: 'internal' } };
  const hasId = raw.type !== 'init' && Number.isSafeInteger(raw.id);
  const name = `${isString(raw.type) ? raw.type.slice(0, 40) : 'the'} request${hasId ? ` ${raw.id}` : ''}`;
  try {
    need(hasId || raw.type === 'init' || raw.type === 'cancel' || !REQUEST_TYPES.includes(raw.type as never), `it has no id (got ${describeValue(raw.id)})`);
    checkFields(raw);
    return { request: raw as unknown as EngineRequest };
  } catch (e) {
    if (!(e instanceof InvalidRequest)) throw e;
    const event: EngineErrorEvent = { type: 'error', message: `engine: ${name} was refused: ${e.message}.`, kind: e.kind };
    if (hasId) event.id = raw.id as number;
    return { error: event };
  }
}
