// The layers of src/ and the direction of imports (docs/architecture.md §1), written once here:
// a module may import from its own layer and from the layers before it in LAYERS, never after;
// the plain layers never reach tfjs, directly or through another module; scripts/ never imports
// tests/; src/ imports neither. The failure names every import that breaks a rule.
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph, importSpecifiers, resolveModule } from './fixtures/imports';

/** src/ layers, lowest first. */
const LAYERS = ['world', 'io', 'model', 'diffusion', 'kernels', 'prefs', 'export', 'engine', 'app'] as const;

/** Layers that run in the page as well as in the worker: no module of theirs may reach tfjs. */
const PLAIN = new Set<string>(['world', 'io', 'prefs', 'export', 'app']);

/** Pages the browser tests drive: like scripts/, they may import any layer of src/. */
const LABS = new Set<string>(['kernel-lab', 'export-lab']);

/** Crossings the order does not allow, each with its reason. */
const EXCEPTIONS: Record<string, string> = {
  // The seeded Gaussian noise (plain TypeScript, no imports) initialises the weights too, and the
  // PyTorch twin's parity fixtures depend on that one generator.
  'src/model/params.ts -> src/diffusion/noise.ts': 'randomParams draws its initial weights with gaussianNoise',
};

const ROOT = resolve(__dirname, '../..');

/** Where a repository file sits: a src/ layer, a lab, `scripts`, `tests`, or null (elsewhere). */
function placeOf(file: string): string | null {
  const [top, second] = file.split('/');
  if (top === 'src') return second;
  return top === 'scripts' || top === 'tests' ? top : null;
}

/** Why `from` may not import `to` (repository paths), or null when it may. */
function importProblem(from: string, to: string): string | null {
  const [a, b] = [placeOf(from), placeOf(to)];
  if (a === null || b === null || a === b || EXCEPTIONS[`${from} -> ${to}`]) return null;
  if (b === 'tests') return a === 'tests' ? null : 'only tests import from tests/';
  if (b === 'scripts') return a === 'tests' ? null : 'src/ never imports from scripts/';
  if (a === 'scripts' || a === 'tests') return null;
  if (LABS.has(b)) return 'only scripts and tests import a lab page';
  if (LABS.has(a)) return null;
  const [ia, ib] = [LAYERS.indexOf(a as (typeof LAYERS)[number]), LAYERS.indexOf(b as (typeof LAYERS)[number])];
  if (ia < 0 || ib < 0) return `${ia < 0 ? a : b} is not a layer of docs/architecture.md §1`;
  return ib > ia ? `${a} imports from ${b}, a layer above it` : null;
}

function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter((f) => /^(src|scripts|tests)\//.test(f));
}

describe('layers', () => {
  const files = sourceFiles();

  it('the rule itself: down and sideways are allowed, up is not', () => {
    expect(importProblem('src/engine/session.ts', 'src/prefs/pairs.ts')).toBeNull();
    expect(importProblem('src/prefs/pairs.ts', 'src/prefs/types.ts')).toBeNull();
    expect(importProblem('src/prefs/pairs.ts', 'src/engine/session.ts')).toMatch(/prefs imports from engine, a layer above it/);
    expect(importProblem('scripts/eval.ts', 'tests/browser/x.ts')).toMatch(/only tests/);
    expect(importProblem('src/model/dit.ts', 'scripts/lib/args.ts')).toMatch(/never imports from scripts/);
    expect(importProblem('src/app/App.tsx', 'src/nowhere/x.ts')).toMatch(/not a layer/);
    expect(importProblem('src/app/App.tsx', 'src/kernel-lab/main.ts')).toMatch(/lab page/);
    expect(importProblem('src/kernel-lab/main.ts', 'src/engine/session.ts')).toBeNull();
  });

  it('every import goes down (or sideways), except the listed exceptions', () => {
    expect(files.length).toBeGreaterThan(150); // the walk really listed the tree
    const problems: string[] = [];
    for (const file of files) {
      for (const spec of importSpecifiers(resolve(ROOT, file))) {
        const target = resolveModule(resolve(ROOT, file), spec);
        if (!target) continue;
        const problem = importProblem(file, relative(ROOT, target));
        if (problem) problems.push(`${file} -> ${relative(ROOT, target)}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the exceptions still exist (a fixed crossing leaves the list)', () => {
    for (const crossing of Object.keys(EXCEPTIONS)) {
      const [from, to] = crossing.split(' -> ');
      const targets = importSpecifiers(resolve(ROOT, from)).map((spec) => resolveModule(resolve(ROOT, from), spec));
      expect(targets.map((t) => t && relative(ROOT, t)), crossing).toContain(to);
    }
  });

  it('no module of a plain layer reaches tfjs', () => {
    const reached: string[] = [];
    for (const file of files.filter((f) => PLAIN.has(placeOf(f) ?? ''))) {
      for (const [key, chain] of importGraph(resolve(ROOT, file))) {
        if (key.startsWith('package:@tensorflow')) reached.push(chain.map((c) => (c.startsWith('/') ? relative(ROOT, c) : c)).join(' → '));
      }
    }
    expect(reached).toEqual([]);
  });
});
