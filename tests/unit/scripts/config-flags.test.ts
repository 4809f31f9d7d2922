import { describe, expect, it, vi } from 'vitest';
import { withScheduleFlags } from '../../../scripts/lib/config-flags';
import { presetConfig } from '../../../src/model/presets';

describe('schedule flags of pretrain and eval', () => {
  const base = { ...presetConfig('tiny'), noiseCorrelation: 0, timeShift: 1, positionEncoding: 'learned' as const };
  const args = (over: Record<string, string>) => ({ 'noise-correlation': '', 'time-shift': '', 'position-encoding': '', ...over });

  it('applies the flags that were passed, keeps the rest, and leaves the input untouched', () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const out = withScheduleFlags(base, args({ 'time-shift': '3', 'position-encoding': 'sincos+learned' }), ['noise-correlation', 'time-shift', 'position-encoding'], 'test');
    expect([out.noiseCorrelation, out.timeShift, out.positionEncoding]).toEqual([0, 3, 'sincos+learned']);
    expect(base.timeShift).toBe(1);
    // A flag not listed for this script is ignored even when set.
    expect(withScheduleFlags(base, args({ 'position-encoding': 'sincos+learned' }), ['time-shift'], 'test').positionEncoding).toBe('learned');
  });

  it('rejects values the config cannot hold, naming the field', () => {
    expect(() => withScheduleFlags(base, args({ 'noise-correlation': '1.5' }), ['noise-correlation'], 'eval flags')).toThrow(/eval flags: .*noiseCorrelation must be a number in \[0, 1\)/);
    expect(() => withScheduleFlags(base, args({ 'time-shift': 'abc' }), ['time-shift'], 'eval flags')).toThrow(/timeShift must be a number ≥ 1/);
  });
});
