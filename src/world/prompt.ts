// The prompt grammar, its canonical text form, and the train / held-out split of combinations.
//
//   prompt := ["a"|"an"] [size] colour shape action [speed] ["on" ("a"|"an") background "background"]
//
// Parsing is strict about words (an unknown word is always an error that names it, never a
// silent drop: the model has no embedding for it) and tolerant about form (case, whitespace,
// a trailing period, a missing leading article, "a"/"an").
import { hashString, pick, type Rng } from './rng';
import {
  ACTIONS,
  BACKGROUND_NAMES,
  COLOUR_NAMES,
  DEFAULT_BACKGROUND,
  SHAPES,
  SIZES,
  SPEEDS,
  type Action,
  type Background,
  type Colour,
  type Shape,
  type Size,
  type Speed,
} from './vocab';

export interface PromptSpec {
  colour: Colour;
  shape: Shape;
  action: Action;
  background: Background;
  size: Size | null;
  speed: Speed | null;
}

/**
 * Training draws video seeds below this value and evaluation at or above it, so an eval video
 * never repeats a training video even for a training prompt.
 */
export const HELD_OUT_SEED_BASE = 1_000_000_000;

const GRAMMAR_HINT =
  'Prompts look like "a [small|big] <colour> <shape> <action> [slowly|quickly] [on a <background> background]", ' +
  'e.g. "a red circle moves left" or "a big blue square rotates quickly on a white background".';

export class PromptError extends Error {
  constructor(
    message: string,
    readonly prompt: string,
    readonly unknownWords: string[] = [],
  ) {
    super(message);
    this.name = 'PromptError';
  }
}

const ARTICLES = ['a', 'an'];
const MOVE_VERB = 'moves';
/** "moves left" → "left", …: the second word of each two-word action. */
const DIRECTIONS = ACTIONS.filter((a) => a.startsWith(`${MOVE_VERB} `)).map((a) => a.slice(MOVE_VERB.length + 1));
const SINGLE_WORD_ACTIONS = ACTIONS.filter((a) => !a.includes(' '));

/** Every word the grammar can produce, sorted and deduplicated (the tokenizer's vocabulary). */
export function vocabularyWords(): string[] {
  const words = [
    ...ARTICLES,
    'on',
    'background',
    ...SIZES,
    ...COLOUR_NAMES,
    ...SHAPES,
    ...ACTIONS.flatMap((a) => a.split(' ')),
    ...SPEEDS,
    ...BACKGROUND_NAMES,
  ];
  return [...new Set(words)].sort();
}

const KNOWN_WORDS = new Set(vocabularyWords());

export function parsePrompt(text: string): PromptSpec {
  const words = tokenize(text);
  if (words.length === 0) throw new PromptError(`The prompt is empty. ${GRAMMAR_HINT}`, text);

  const unknown = [...new Set(words.filter((w) => !KNOWN_WORDS.has(w)))];
  if (unknown.length > 0) {
    const listed = unknown.map((w) => `"${w}"${suggestion(w)}`).join(', ');
    throw new PromptError(
      `Unknown word${unknown.length > 1 ? 's' : ''} in "${text}": ${listed}. ${knownVocabularyText()}`,
      text,
      unknown,
    );
  }
  return new Parser(text, words).parse();
}

/** Canonical text of a spec; `parsePrompt(formatPrompt(s))` equals `s`. */
export function formatPrompt(spec: PromptSpec): string {
  const noun = [spec.size, spec.colour, spec.shape].filter((w) => w !== null).join(' ');
  let text = `${articleFor(noun)} ${noun} ${spec.action}`;
  if (spec.speed) text += ` ${spec.speed}`;
  if (spec.background !== DEFAULT_BACKGROUND) text += ` on a ${spec.background} background`;
  return text;
}

/** Lower-cased words without the optional trailing period. */
function tokenize(text: string): string[] {
  return text.trim().toLowerCase().replace(/\.$/, '').split(/\s+/).filter((w) => w.length > 0);
}

function articleFor(phrase: string): string {
  return /^[aeiou]/.test(phrase) ? 'an' : 'a';
}

/** A cursor over the words: the grammar is one fixed sequence with optional slots. */
class Parser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly words: string[],
  ) {}

  parse(): PromptSpec {
    this.optional(ARTICLES);
    const size = this.optional(SIZES);
    const colour = this.expect(COLOUR_NAMES, 'a colour');
    const shape = this.expect(SHAPES, 'a shape');
    const action = this.action();
    const speed = this.optional(SPEEDS);
    let background: Background = DEFAULT_BACKGROUND;
    if (this.optional(['on'])) {
      this.expect(ARTICLES, '"a"');
      background = this.expect(BACKGROUND_NAMES, 'a background');
      this.expect(['background'], 'the word "background"');
    }
    if (this.i < this.words.length) {
      const rest = this.words.slice(this.i).join(' ');
      this.fail(`unexpected "${rest}" after "${this.words.slice(0, this.i).join(' ')}"`);
    }
    return { colour, shape, action, background, size, speed };
  }

  private action(): Action {
    if (this.optional([MOVE_VERB])) {
      const direction = this.expect(DIRECTIONS, 'a direction');
      return `${MOVE_VERB} ${direction}` as Action;
    }
    const choices = [...SINGLE_WORD_ACTIONS, `${MOVE_VERB} …`];
    return this.expect(SINGLE_WORD_ACTIONS, 'an action', choices);
  }

  private optional<W extends string>(choices: readonly W[]): W | null {
    const word = this.words[this.i];
    if (word !== undefined && (choices as readonly string[]).includes(word)) {
      this.i++;
      return word as W;
    }
    return null;
  }

  private expect<W extends string>(choices: readonly W[], what: string, shown: readonly string[] = choices): W {
    const word = this.optional(choices);
    if (word !== null) return word;
    const found = this.words[this.i];
    const after = this.i > 0 ? ` after "${this.words.slice(0, this.i).join(' ')}"` : ' at the start';
    const options = shown.length > 1 ? ` (${shown.join(', ')})` : '';
    this.fail(`expected ${what}${options}${after}, but ${found === undefined ? 'the prompt ended' : `found "${found}"`}`);
  }

  private fail(reason: string): never {
    throw new PromptError(`Cannot parse "${this.text}": ${reason}. ${GRAMMAR_HINT}`, this.text);
  }
}

function knownVocabularyText(): string {
  return (
    `Known colours: ${COLOUR_NAMES.join(', ')}; shapes: ${SHAPES.join(', ')}; ` +
    `actions: ${ACTIONS.join(', ')}; backgrounds: ${BACKGROUND_NAMES.join(', ')}; ` +
    `modifiers: ${[...SIZES, ...SPEEDS].join(', ')}.`
  );
}

/** ` (did you mean "circle"?)` when a known word is within two edits, else ''. */
function suggestion(word: string): string {
  let best = '';
  let bestDistance = 3;
  for (const known of KNOWN_WORDS) {
    const d = editDistance(word, known);
    if (d < bestDistance) {
      bestDistance = d;
      best = known;
    }
  }
  // Two edits on a 3-letter word can reach almost anything; only suggest when it is plausible.
  return best && bestDistance < Math.max(2, word.length / 2) ? ` (did you mean "${best}"?)` : '';
}

/** Levenshtein distance (typos: "circel" → "circle" is 2). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j] + 1, current[j - 1] + 1));
    }
    previous = current;
  }
  return previous[b.length];
}

// ---------------------------------------------------------------------------------------------
// Train / held-out split over (colour, shape, action, background) combinations.

/** 1 in HELD_OUT_ONE_IN combinations is held out: ~72 of 576, enough for a compositional eval. */
const HELD_OUT_ONE_IN = 8;

/**
 * Whether the combination is reserved for evaluation (compositional generalisation: every word
 * is seen in training, this combination of them is not). Modifiers do not take part.
 */
export function isHeldOutCombo(spec: Pick<PromptSpec, 'colour' | 'shape' | 'action' | 'background'>): boolean {
  const key = `${spec.colour}|${spec.shape}|${spec.action}|${spec.background}`;
  return hashString(key) % HELD_OUT_ONE_IN === 0;
}

/** Every combination (size and speed null), in vocabulary order. */
export function allSpecs(): PromptSpec[] {
  const specs: PromptSpec[] = [];
  for (const colour of COLOUR_NAMES)
    for (const shape of SHAPES)
      for (const action of ACTIONS)
        for (const background of BACKGROUND_NAMES) specs.push({ colour, shape, action, background, size: null, speed: null });
  return specs;
}

export function trainingSpecs(): PromptSpec[] {
  return allSpecs().filter((s) => !isHeldOutCombo(s));
}

export function heldOutSpecs(): PromptSpec[] {
  return allSpecs().filter((s) => isHeldOutCombo(s));
}

/** Probability that a sampled training prompt carries a size (and, independently, a speed). */
const MODIFIER_RATE = 0.25;

/**
 * A random training spec: attributes uniform (so the default black background appears a quarter
 * of the time, like any other), held-out combinations rejected, modifiers present 25 % each.
 * `actions` narrows the action to a subset (a curriculum that oversamples some categories).
 */
export function sampleTrainingSpec(rng: Rng, actions: readonly Action[] = ACTIONS): PromptSpec {
  for (;;) {
    const combo = {
      colour: pick(rng, COLOUR_NAMES),
      shape: pick(rng, SHAPES),
      action: pick(rng, actions),
      background: pick(rng, BACKGROUND_NAMES),
    };
    if (isHeldOutCombo(combo)) continue;
    const size = rng() < MODIFIER_RATE ? pick(rng, SIZES) : null;
    const speed = rng() < MODIFIER_RATE ? pick(rng, SPEEDS) : null;
    return { ...combo, size, speed };
  }
}

/** A few example prompts per action category (training combinations, varied modifiers). */
export function promptSuites(perAction = 4): Record<Action, string[]> {
  const training = trainingSpecs();
  const suites = {} as Record<Action, string[]>;
  for (const action of ACTIONS) {
    // A rotating circle looks static: it makes a poor example to rank.
    const candidates = training.filter((s) => s.action === action && !(action === 'rotates' && s.shape === 'circle'));
    // Stride through the candidates so that the examples differ in colour, shape and background.
    const stride = Math.max(1, Math.floor(candidates.length / perAction)) + 1;
    suites[action] = Array.from({ length: perAction }, (_, k) => {
      const spec = candidates[(k * stride) % candidates.length];
      const size = k % 4 === 1 ? 'big' : k % 4 === 3 ? 'small' : null;
      const speed = k % 4 === 2 ? 'quickly' : k % 4 === 3 ? 'slowly' : null;
      return formatPrompt({ ...spec, size, speed });
    });
  }
  return suites;
}
