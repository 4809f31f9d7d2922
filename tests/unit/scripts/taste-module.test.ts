import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTaste, scoreOrThrow } from '../../../scripts/lib/taste-module';
import { render } from '../../../src/world/render';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taste-module-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const VIDEO = render('a red circle moves left', 1, { frames: 4, height: 16, width: 16 });

describe('a researcher\'s own taste module', () => {
  it('loads the default export of an .mjs, .js or .ts file and scores videos with it', async () => {
    const mjs = await loadTaste(write('mean-red.mjs', 'export default (video, prompt) => video.data[0] + prompt.length;'));
    expect(scoreOrThrow(mjs, VIDEO, 'ab', 1)).toBeCloseTo(VIDEO.data[0] + 2, 6);
    const ts = await loadTaste(write('frames.ts', 'export default function t(video: { frames: number }): number { return video.frames * 2; }'));
    expect(scoreOrThrow(ts, VIDEO, 'x', 1)).toBe(8);
    const shipped = await loadTaste('examples/tastes/bright.mjs');
    expect(scoreOrThrow(shipped, VIDEO, 'a red circle moves left', 1)).toBeLessThan(0); // a small red disc on black
  });

  it('picks a built-in taste by name and rejects an unknown name with the list', async () => {
    expect((await loadTaste('big')).name).toBe('big');
    await expect(loadTaste('bigg')).rejects.toThrow(/Unknown taste "bigg".*big/);
  });

  it('a missing module is an error naming the file', async () => {
    const file = path.join(dir, 'nope.mjs');
    await expect(loadTaste(file)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} does not exist`));
  });

  it('a module without a default function is an error naming the file', async () => {
    const file = write('named.mjs', 'export function taste() { return 1; }');
    await expect(loadTaste(file)).rejects.toThrow(/named\.mjs has no default export function/);
    await expect(loadTaste(write('number.mjs', 'export default 3;'))).rejects.toThrow(/number\.mjs has no default export function/);
  });

  it('a taste that throws stops with the file, the prompt and the seed', async () => {
    const taste = await loadTaste(write('throws.mjs', 'export default () => { throw new Error("bad pixel"); };'));
    expect(() => scoreOrThrow(taste, VIDEO, 'a red circle moves left', 42)).toThrow(/throws\.mjs threw on prompt "a red circle moves left" \(seed 42\): bad pixel/);
  });

  it('a non-finite or non-number score stops with the file, the prompt and the seed', async () => {
    for (const [name, body] of [['nan.mjs', 'NaN'], ['inf.mjs', '-Infinity'], ['text.mjs', '"high"']]) {
      const taste = await loadTaste(write(name, `export default () => ${body};`));
      expect(() => scoreOrThrow(taste, VIDEO, 'a blue square grows', 7)).toThrow(new RegExp(`${name.replace('.', '\\.')} returned .* on prompt "a blue square grows" \\(seed 7\\); a taste must return a finite number`));
    }
  });
});
