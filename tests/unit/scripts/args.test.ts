import { describe, expect, it } from 'vitest';
import { parseArgs, parseWordPairs } from '../../../scripts/lib/args';

describe('script arguments', () => {
  it('parseArgs rejects an unknown option and lists the known ones', () => {
    expect(parseArgs(['--steps', '5'], { steps: '1' }).steps).toBe('5');
    expect(() => parseArgs(['--stpes', '5'], { steps: '1' })).toThrow(/Unknown option --stpes\. Options: --steps/);
  });

  it('parseWordPairs splits word pairs and names the flag on a malformed one', () => {
    expect(parseWordPairs(' left/right , circle / square', '--pairs')).toEqual([['left', 'right'], ['circle', 'square']]);
    expect(() => parseWordPairs('', '--pairs')).toThrow(/--pairs is required/);
    expect(() => parseWordPairs('left/right/up', '--pairs')).toThrow(/--pairs: "left\/right\/up" must be two words/);
    expect(() => parseWordPairs('left/', '--pairs')).toThrow(/must be two words/);
  });
});
