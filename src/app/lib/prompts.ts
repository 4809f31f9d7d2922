// The Generate tab's prompt box: one prompt per line, each checked against the world's grammar on
// the page, before anything is sent to the engine (an unknown word is an error naming it).
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

export function checkPrompts(text: string): PromptCheck {
  const check: PromptCheck = { prompts: [], problems: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      check.prompts.push(formatPrompt(parsePrompt(line)));
    } catch (e) {
      const unknownWords = e instanceof PromptError ? e.unknownWords : [];
      check.problems.push({ line: i + 1, text: line, message: e instanceof Error ? e.message : String(e), unknownWords });
    }
  });
  return check;
}

/** The alert text for a failed check: which lines, which words, what to do. */
export function describeProblems(check: PromptCheck): string {
  if (check.problems.length === 0 && check.prompts.length > 0) return '';
  if (check.problems.length === 0) return 'Type at least one prompt (one per line), or add a prompt suite.';
  const lines = check.problems.map((p) => `Line ${p.line}: ${p.message}`);
  return `Nothing was generated: fix or remove ${check.problems.length === 1 ? 'this line' : 'these lines'}.\n${lines.join('\n')}`;
}
