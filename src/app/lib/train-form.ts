// The Train tab's fields and the round settings they make. Defaults come from prefs/rounds.ts
// (DEFAULT_ROUND_HYPER, DEFAULT_KTO_BETA) — one place — and validateHyper names a bad field.
import { DEFAULT_ONLINE_CONFIDENCE, DEFAULT_ROUND_HYPER, roundHyper, validateHyper } from '../../prefs/rounds';
import type { ReferenceChoice, RoundHyperParameters, RoundMethod } from '../../prefs/types';
import type { OnlineRoundSpec } from '../../engine/protocol';
import { BUILTIN_TASTE_NAMES } from '../../world/tastes';

export interface TrainForm {
  method: RoundMethod;
  beta: number;
  lr: number;
  steps: number;
  rank: number;
  alpha: number;
  reference: ReferenceChoice;
  sftWeight: number;
  /** Noise-level focus of the round's steps (RoundHyperParameters.tMean). */
  tMean: number;
  /** Online rounds (OnlineVPO): who labels the on-policy pairs, how many, and the confidence bar. */
  labeller: OnlineRoundSpec['labeller'];
  /** The simulated person's taste (a built-in name, world/tastes.ts); Compare scores rounds by it too. */
  taste: string;
  onlinePairsPerPrompt: number;
  confidenceThreshold: number;
}

export function defaultTrainForm(): TrainForm {
  const d = DEFAULT_ROUND_HYPER;
  return {
    method: d.method, beta: d.beta, lr: d.lr, steps: d.steps, rank: d.lora.rank, alpha: d.lora.alpha,
    reference: d.reference, sftWeight: d.sftWeight, tMean: d.tMean, labeller: 'simulated', taste: 'lively', onlinePairsPerPrompt: 2, confidenceThreshold: DEFAULT_ONLINE_CONFIDENCE,
  };
}

/** A method's own defaults: KTO's β is far below DPO's and its lr lower (DEFAULT_KTO_BETA, DEFAULT_KTO_LR). */
export function methodDefaults(method: RoundMethod): Pick<TrainForm, 'beta' | 'lr'> {
  const { beta, lr } = roundHyper({ method });
  return { beta, lr };
}

/** Round settings from the form; throws an Error naming the bad field (validateHyper). */
export function hyperFromForm(form: TrainForm, roundIndex: number): RoundHyperParameters {
  const hyper = roundHyper({
    method: form.method, beta: form.beta, lr: form.lr, steps: form.steps, reference: form.reference, sftWeight: form.sftWeight, tMean: form.tMean,
    lora: { rank: form.rank, alpha: form.alpha },
    // Seeds every draw of the round: a re-run of the same round with the same data is identical.
    seed: roundIndex,
  });
  validateHyper(hyper);
  return hyper;
}

/** The online round's spec, with its own field checks. */
export function onlineSpecFromForm(form: TrainForm, prompts: string[]): OnlineRoundSpec {
  if (prompts.length === 0) throw new Error('An online round samples pairs for the prompts of the Generate tab: type at least one valid prompt there.');
  if (!(Number.isInteger(form.onlinePairsPerPrompt) && form.onlinePairsPerPrompt >= 1)) {
    throw new Error(`Round settings: pairs per prompt = ${form.onlinePairsPerPrompt} is invalid; it must be a positive integer.`);
  }
  if (!(form.confidenceThreshold >= 0.5 && form.confidenceThreshold <= 1)) {
    throw new Error(`Round settings: confidence threshold = ${form.confidenceThreshold} is invalid; it must be in [0.5, 1].`);
  }
  if (form.labeller === 'simulated' && !BUILTIN_TASTE_NAMES.includes(form.taste)) {
    throw new Error(`Round settings: taste "${form.taste}" is unknown; choose one of ${BUILTIN_TASTE_NAMES.join(', ')}.`);
  }
  return { labeller: form.labeller, ...(form.labeller === 'simulated' ? { taste: form.taste } : {}), prompts, pairsPerPrompt: form.onlinePairsPerPrompt, confidenceThreshold: form.confidenceThreshold };
}
