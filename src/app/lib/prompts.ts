// The Generate tab's prompt box: one prompt per line, each checked against the world's grammar on
// the page, before anything is sent to the engine (an unknown word is an error naming it).
import { MAX_PROMPTS, promptProblem } from '../../engine/validate-request';
import { formatPrompt, parsePrompt, PromptError } from '../../world/prompt';

export interface PromptProblem {
  /** 1-based line number in the box. */
  line: number;
  text: string;
  message: string;
  unknownWords: string[];
}

export interface PromptCheck {
  /** Canonical prompts of the valid lines, in order. */
  prompts: string[];
  problems: PromptProblem[];
}

/** Problem lines an alert lists; the rest are counted (500 bad lines made a 40 KB alert). */
const MAX_LISTED_PROBLEMS = 10;

/** A line as an alert quotes it: at most 40 characters. */
const quoted = (line: string) => (line.length > 40 ? `${line.slice(0, 40)}…` : line);

/**
 * The box's prompts, checked line by line. More than MAX_PROMPTS lines is one short problem, and
 * a line longer than MAX_PROMPT_CHARS is one without parsing it (a 1 MB line took seconds), with
 * the same limits the engine enforces (engine/validate-request.ts).
 */
export function checkPrompts(text: string): PromptCheck {
  const check: PromptCheck = { prompts: [], problems: [] };
  const lines = text.split('\n').map((raw, i) => ({ line: raw.trim(), number: i + 1 })).filter(({ line }) => line !== '');
  if (lines.length > MAX_PROMPTS) {
    check.problems.push({ line: lines[MAX_PROMPTS].number, text: quoted(lines[MAX_PROMPTS].line), message: `${lines.length} prompts are more than the ${MAX_PROMPTS} one batch takes; split them into batches`, unknownWords: [] });
    return check;
  }
  for (const { line, number } of lines) {
    const tooLong = promptProblem(line, `this line`);
    if (tooLong) {
      check.problems.push({ line: number, text: quoted(line), message: tooLong, unknownWords: [] });
      continue;
    }
    try {
      check.prompts.push(formatPrompt(parsePrompt(line)));
    } catch (e) {
      const unknownWords = e instanceof PromptError ? e.unknownWords : [];
      check.problems.push({ line: number, text: line, message: e instanceof Error ? e.message : String(e), unknownWords });
    }
  }
  return check;
}

/** The alert text for a failed check: which lines (the first ten), which words, what to do. */
export function describeProblems(check: PromptCheck): string {
  if (check.problems.length === 0 && check.prompts.length > 0) return '';
  if (check.problems.length === 0) return 'Type at least one prompt (one per line), or add a prompt suite.';
  const listed = check.problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `Line ${p.line}: ${p.message}`);
  const more = check.problems.length - listed.length;
  if (more > 0) listed.push(`…and ${more} more line${more === 1 ? '' : 's'} with problems.`);
  return `Nothing was generated: fix or remove ${check.problems.length === 1 ? 'this line' : 'these lines'}.\n${listed.join('\n')}`;
}
