// Checks of the project's records (prefs/types.ts) as they come from outside the running page:
// a backup being restored (export/backup.ts), IndexedDB at load (app/store/persist.ts) and the
// engine's requests (engine/validate-request.ts). Each check asserts through `check`, which
// throws the caller's own error with the detail; `where` names the record in that detail.
import { isSamplerName, SAMPLERS } from '../diffusion/sampler-defaults';
import type { ModuleShapes } from '../io/lora';
import { decodeSnapshot } from './lora-data';
import { loraValuesProblem } from '../io/lora-values';
import { DECISIONS, type Judgment, type Pair, type RoundRecord } from './types';

export type Check = (condition: unknown, detail: string) => asserts condition;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIndex = (v: unknown) => v === 0 || v === 1;

/** A check that throws `Error(detail)`: for callers that wrap the message themselves. */
export const throwingCheck: Check = (condition, detail) => {
  if (!condition) throw new Error(detail);
};

export function checkPair(p: unknown, where: string, check: Check): asserts p is Pair {
  check(isObject(p), `${where} is not an object`);
  check(isString(p.id) && p.id.length > 0, `${where} has no id`);
  check(isString(p.prompt), `pair "${p.id}" has no prompt`);
  check(Array.isArray(p.seeds) && p.seeds.length === 2 && p.seeds.every(isNumber), `pair "${p.id}" needs two numeric seeds`);
  check(Array.isArray(p.videoIds) && p.videoIds.length === 2 && p.videoIds.every(isString), `pair "${p.id}" needs two video ids`);
  check(isNumber(p.round), `pair "${p.id}" has no round`);
  check(p.firstFrame === null || (isObject(p.firstFrame) && (p.firstFrame.kind === 'rendered' || (p.firstFrame.kind === 'image' && isString(p.firstFrame.id)))), `pair "${p.id}" has an unreadable firstFrame`);
  const solver = isObject(p.sampler) ? p.sampler.solver : undefined;
  check(solver === undefined || isSamplerName(solver), `pair "${p.id}" names solver ${JSON.stringify(solver)} (expected one of ${SAMPLERS.join(', ')})`);
}

/** `pairIds`: the pairs a judgment may refer to (null: not checked), found `pairsWhere` ("in the backup"). */
export function checkJudgment(j: unknown, where: string, pairIds: ReadonlySet<string> | null, check: Check, pairsWhere = 'among the pairs'): asserts j is Judgment {
  check(isObject(j), `${where} is not an object`);
  check(isString(j.id) && j.id.length > 0, `${where} has no id`);
  check(isString(j.pairId) && (pairIds === null || pairIds.has(j.pairId)), `judgment "${j.id}" refers to pair ${JSON.stringify(j.pairId)}, which is not ${pairIds === null ? 'a pair id' : pairsWhere}`);
  check(isString(j.annotator) && isString(j.createdAt) && isNumber(j.round), `judgment "${j.id}" lacks its annotator, createdAt or round`);
  if (j.kind === 'pairwise') {
    check(DECISIONS.includes(j.decision as never), `judgment "${j.id}" has decision ${JSON.stringify(j.decision)} (expected one of ${DECISIONS.join(', ')})`);
    check(isIndex(j.leftWas), `judgment "${j.id}" has leftWas ${JSON.stringify(j.leftWas)} (expected 0 or 1)`);
  } else {
    check(j.kind === 'pointwise' && isIndex(j.video) && typeof j.desirable === 'boolean', `judgment "${j.id}" is neither a valid pairwise nor a pointwise judgment`);
  }
}

/**
 * A round record; its LoRA, when it has one, decodes, holds only values a merge survives
 * (loraValuesProblem) and, given `moduleShapes`, fits this model's Linear modules.
 */
export function checkRound(r: unknown, where: string, check: Check, moduleShapes?: ModuleShapes): asserts r is RoundRecord {
  check(isObject(r) && Number.isInteger(r.index) && isString(r.status) && isObject(r.hyper) && Array.isArray(r.metrics) && Array.isArray(r.judgmentIds), `${where} is incomplete`);
  if (r.lora === null) return;
  const lora = r.lora;
  check(isObject(lora) && isNumber(lora.rank) && isNumber(lora.alpha) && isObject(lora.modules), `round ${r.index}'s LoRA is incomplete`);
  let modules: ReturnType<typeof decodeSnapshot>;
  try {
    modules = decodeSnapshot(lora as never);
  } catch (e) {
    check(false, `round ${r.index}'s LoRA is corrupt (${(e as Error).message})`);
  }
  for (const [name, m] of moduleShapes ? modules : []) {
    const expected = moduleShapes!.get(name);
    check(expected !== undefined, `round ${r.index}'s LoRA adapts module "${name}", which this model does not have: it was trained on another model`);
    check(expected.inFeatures === m.inFeatures && expected.outFeatures === m.outFeatures, `round ${r.index}'s LoRA has module "${name}" of shape [${m.outFeatures}, ${m.inFeatures}], but this model's is [${expected.outFeatures}, ${expected.inFeatures}]: it was trained on another model`);
  }
  const problem = loraValuesProblem(modules, (lora.alpha as number) / (lora.rank as number));
  check(problem === null, `round ${r.index}'s LoRA cannot be merged: ${problem}`);
}
