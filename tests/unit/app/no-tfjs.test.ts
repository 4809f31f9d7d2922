// The page must not bundle tfjs (only the engine worker imports it, docs/architecture.md §1): follow every
// static and dynamic import from the page's entry and fail on the first one that reaches tfjs.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../fixtures/imports';

const ENTRY = resolve(__dirname, '../../../src/app/main.tsx');

describe('the page bundle', () => {
  it('imports no tfjs, directly or through src/ modules', () => {
    const graph = importGraph(ENTRY);
    expect(graph.size).toBeGreaterThan(20); // the walk really followed the app's imports
    const tf = [...graph.entries()].filter(([k]) => k.startsWith('package:@tensorflow'));
    expect(tf.map(([, chain]) => chain.join(' → '))).toEqual([]);
  });
});
