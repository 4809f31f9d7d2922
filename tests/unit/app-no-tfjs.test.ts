// The page must not bundle tfjs (only the engine worker imports it, DESIGN §1): follow every
// static and dynamic import from the page's entry and fail on the first one that reaches tfjs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ENTRY = resolve(__dirname, '../../src/app/main.tsx');
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

function resolveModule(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) if (existsSync(candidate) && candidate.match(/\.tsx?$/)) return candidate;
  return null;
}

/** Every module the page loads, with the chain of imports that reaches it. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    const source = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
    for (const m of source.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const chain = [...seen.get(file)!, spec];
      if (!spec.startsWith('.')) {
        seen.set(`package:${spec}`, chain);
        continue;
      }
      const target = resolveModule(file, spec);
      if (target && !seen.has(target)) {
        seen.set(target, chain);
        queue.push(target);
      }
    }
  }
  return seen;
}

describe('the page bundle', () => {
  it('imports no tfjs, directly or through src/ modules', () => {
    const graph = importGraph(ENTRY);
    expect(graph.size).toBeGreaterThan(20); // the walk really followed the app's imports
    const tf = [...graph.entries()].filter(([k]) => k.startsWith('package:@tensorflow'));
    expect(tf.map(([, chain]) => chain.join(' → '))).toEqual([]);
  });
});
