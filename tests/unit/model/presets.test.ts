// What the page offers (`?model=`) is what public/models/ ships: every name has a checkpoint that
// loads, under its own name (the page labels a model by its config's name), with its preset's shape.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../../../src/app/settings';
import { checkpointFromBytes } from '../../../src/model/checkpoint';
import { presetConfig } from '../../../src/model/presets';

describe('shipped models', () => {
  for (const name of MODEL_NAMES) {
    it(`${name}: public/models/${name}.safetensors loads as "${name}" with the ${name} preset's shape, under 20 MB`, () => {
      const file = `public/models/${name}.safetensors`;
      const bytes = new Uint8Array(fs.readFileSync(file));
      expect(bytes.length).toBeLessThan(20e6);
      const { config } = checkpointFromBytes(bytes, file);
      const { vocab: _v, ...shape } = config;
      const { vocab: _p, ...preset } = presetConfig(name);
      expect(shape).toEqual(preset);
    });
  }
});
