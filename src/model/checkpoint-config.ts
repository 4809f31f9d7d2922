// The part of checkpoint loading that needs no tfjs: the error type and the config stored in a
// file's __metadata__ (with defaults for fields added later), for scripts that run without tfjs.
import { validateConfig, type ModelConfig } from './config';

export class CheckpointError extends Error {
  constructor(readonly fileName: string, readonly detail: string) {
    super(`${fileName}: ${detail}`);
    this.name = 'CheckpointError';
  }
}

/**
 * The model config stored in a file's `__metadata__.config`, with the defaults of fields added
 * after the file was written, validated. Throws CheckpointError naming the file.
 */
export function configFromMetadata(json: string, fileName: string): ModelConfig {
  let config: ModelConfig & { refiner?: unknown };
  try {
    config = JSON.parse(json) as ModelConfig;
  } catch (e) {
    throw new CheckpointError(fileName, `its __metadata__.config is not valid JSON (${(e as Error).message}); re-export the checkpoint.`);
  }
  // Checkpoints written before these fields existed: velocity head, independent frame noise, no shift,
  // learned positions only.
  config.prediction ??= 'velocity';
  config.noiseCorrelation ??= 0;
  config.timeShift ??= 1;
  config.positionEncoding ??= 'learned';
  // Checkpoints written while the optional sub-patch "refiner" existed store `refiner: null`; it
  // was removed (no shape gain, docs/history.md), so one that has a refiner cannot be run here.
  if (config.refiner !== undefined && config.refiner !== null) {
    throw new CheckpointError(fileName, 'this checkpoint has a refiner, which this studio no longer supports.');
  }
  delete config.refiner;
  try {
    validateConfig(config, fileName);
  } catch (e) {
    throw new CheckpointError(fileName, `${(e as Error).message.replace(`${fileName}: `, '')}; re-export the checkpoint.`);
  }
  return config;
}
