import { validateConfig, type ModelConfig } from '../../src/model/config';

/** Command-line flags that set a config's schedule fields (no parameter shapes change). */
const SCHEDULE_FLAGS = {
  'noise-correlation': 'noiseCorrelation',
  'time-shift': 'timeShift',
  'position-encoding': 'positionEncoding',
} as const;

export type ScheduleFlag = keyof typeof SCHEDULE_FLAGS;

/**
 * `config` with the given flags applied where they were passed (a flag left '' keeps the
 * checkpoint's value), validated, each change logged. Numeric fields parse as numbers.
 */
export function withScheduleFlags(config: ModelConfig, args: Record<string, string>, flags: readonly ScheduleFlag[], source: string): ModelConfig {
  let out = config;
  for (const flag of flags) {
    const key = SCHEDULE_FLAGS[flag];
    if (args[flag] === '') continue;
    const value = key === 'positionEncoding' ? args[flag] : Number(args[flag]);
    if (value === out[key]) continue;
    console.log(`--${flag}: ${key} ${out[key]} -> ${value}`);
    out = { ...out, [key]: value };
  }
  validateConfig(out, source);
  return out;
}
