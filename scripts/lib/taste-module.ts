/**
 * The taste of a benchmark run: a built-in name (`lively`, `big` …) or the path of an ES module
 * (`.mjs`, `.js`, `.ts`) whose default export is `(video, prompt) => number`, higher preferred.
 * Every score goes through `scoreOrThrow`, so a module that throws or returns a non-finite
 * number stops the run with an error naming the file, the prompt and the seed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILTIN_TASTE_NAMES, builtinTaste, type Taste } from '../../src/world/tastes';
import type { Video } from '../../src/world/video';

const MODULE_EXTENSIONS = ['.mjs', '.js', '.ts'];

export class TasteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TasteError';
  }
}

/** A built-in taste by name, or the default export of the module at `nameOrPath`. */
export async function loadTaste(nameOrPath: string): Promise<Taste> {
  if (BUILTIN_TASTE_NAMES.includes(nameOrPath)) return builtinTaste(nameOrPath);
  const looksLikePath = MODULE_EXTENSIONS.some((ext) => nameOrPath.endsWith(ext)) || nameOrPath.includes('/');
  if (!looksLikePath) builtinTaste(nameOrPath); // throws: an unknown name, listing the known ones
  const file = path.resolve(nameOrPath);
  if (!fs.existsSync(file)) throw new TasteError(`Taste module ${file} does not exist. Give a built-in taste (${BUILTIN_TASTE_NAMES.join(', ')}) or the path of an .mjs, .js or .ts file.`);
  if (!MODULE_EXTENSIONS.includes(path.extname(file))) throw new TasteError(`Taste module ${file}: expected a ${MODULE_EXTENSIONS.join(', ')} file.`);
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(file).href);
  } catch (e) {
    throw new TasteError(`Taste module ${file} failed to load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const score = module.default;
  if (typeof score !== 'function') {
    throw new TasteError(`Taste module ${file} has no default export function; write \`export default function taste(video, prompt) { return … }\` (higher is preferred).`);
  }
  return { name: path.basename(file), description: `a researcher's taste from ${file}`, score: score as Taste['score'] };
}

/** The taste's score of one video, or an error naming the taste, the prompt and the seed. */
export function scoreOrThrow(taste: Taste, video: Video, prompt: string, seed: number): number {
  let value: unknown;
  try {
    value = taste.score(video, prompt);
  } catch (e) {
    throw new TasteError(`Taste ${taste.name} threw on prompt "${prompt}" (seed ${seed}): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TasteError(`Taste ${taste.name} returned ${String(value)} on prompt "${prompt}" (seed ${seed}); a taste must return a finite number.`);
  }
  return value;
}
