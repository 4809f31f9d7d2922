// The exporters in the built page (export-lab.html): MP4 through ffmpeg.wasm served by our own
// build (no CDN, under COOP/COEP), GIF decoded by the browser itself, the dataset zip end to end.
import { expect, test, type Page } from '@playwright/test';
import type { ExportLab } from '../../src/export-lab/main';

declare const exportLab: ExportLab;

test.describe.configure({ mode: 'serial' });

let page: Page;
/** Every http(s)/ws URL the page or its workers requested. */
const requests: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/export-lab.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // the 31 MB core is fetched only when an MP4 is asked for
  expect(requests.filter((u) => /ffmpeg-core[^/?]*\.wasm$/.test(u))).toEqual([]);
});

test.afterAll(async () => {
  await page?.close();
});

/** MP4 boxes: [type, start, size] of the boxes in bytes[from, to). */
function boxes(bytes: Uint8Array, from = 0, to = bytes.length): { type: string; start: number; size: number }[] {
  const out = [];
  for (let p = from; p + 8 <= to; ) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + p).getUint32(0);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (size < 8) break;
    out.push({ type, start: p, size });
    p += size;
  }
  return out;
}

/** The box at `path` (e.g. moov/trak/mdia/minf/stbl/stsd/avc1), or undefined. */
function findBox(bytes: Uint8Array, path: string[]): { start: number; size: number } | undefined {
  let [from, to] = [0, bytes.length];
  let found: { start: number; size: number } | undefined;
  for (const type of path) {
    found = boxes(bytes, from, to).find((b) => b.type === type);
    if (!found) return undefined;
    // stsd is a full box with an entry count before its sample entries (4 + 4 bytes).
    from = found.start + (type === 'stsd' ? 16 : 8);
    to = found.start + found.size;
  }
  return found;
}

test('encodes an 8-frame 32×32 video to H.264 MP4 with ffmpeg.wasm from our own build, nothing from another origin', async () => {
  const result = await page.evaluate(() => exportLab.mp4({ prompt: 'a red circle moves left', seed: 1, frames: 8, height: 32, width: 32 }));
  const mp4 = Uint8Array.from(result.bytes);
  test.info().annotations.push({ type: 'mp4', description: `${mp4.length} bytes, playback ${JSON.stringify(result.playback)}` });

  // ftyp first, moov before mdat (+faststart), an avc1 sample entry of 128×128 with 8 samples
  const top = boxes(mp4);
  expect(top[0].type).toBe('ftyp');
  const types = top.map((b) => b.type);
  expect(types.indexOf('moov')).toBeGreaterThan(0);
  expect(types.indexOf('moov')).toBeLessThan(types.indexOf('mdat'));
  const stbl = ['moov', 'trak', 'mdia', 'minf', 'stbl'];
  const avc1 = findBox(mp4, [...stbl, 'stsd', 'avc1']);
  expect(avc1).toBeDefined();
  const view = new DataView(mp4.buffer);
  // visual sample entry: 8 header + 6 reserved + 2 index + 16 pre-defined/reserved, then width, height
  expect([view.getUint16(avc1!.start + 32), view.getUint16(avc1!.start + 34)]).toEqual([128, 128]);
  const stsz = findBox(mp4, [...stbl, 'stsz'])!;
  expect(view.getUint32(stsz.start + 16)).toBe(8); // sample_count after version/flags and sample_size

  // progress reached 1
  expect(result.progress.at(-1)).toBe(1);

  // the browser itself plays it (where its build decodes H.264): 128×128, 1 s, the right colours
  if (result.playback.canPlayType) {
    expect([result.playback.width, result.playback.height]).toEqual([128, 128]);
    expect(result.playback.duration).toBeCloseTo(1, 1);
    expect(result.playback.frameMeanError).toBeLessThan(4); // of 255; ~0.5 measured (lossy H.264, BT.709)
  }

  // the core came from this origin (the listener sees the worker's fetches) and nothing else did
  const origin = new URL(page.url()).origin;
  expect(requests.some((u) => /\/ffmpeg-core[^/]*\.wasm$/.test(u))).toBe(true);
  const foreign = requests.filter((u) => /^(https?|wss?):/.test(u) && new URL(u).origin !== origin);
  expect(foreign).toEqual([]);
});

test('odd sizes are padded to even ones (yuv420p) and the browser plays them', async () => {
  const result = await page.evaluate(() => exportLab.mp4({ prompt: 'a blue square moves up', seed: 2, frames: 4, height: 9, width: 15, scale: 1, fps: 4 }));
  const mp4 = Uint8Array.from(result.bytes);
  const avc1 = findBox(mp4, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'avc1'])!;
  const view = new DataView(mp4.buffer);
  expect([view.getUint16(avc1.start + 32), view.getUint16(avc1.start + 34)]).toEqual([16, 10]);
  if (result.playback.canPlayType) {
    expect(result.playback.duration).toBeCloseTo(1, 1);
    expect(result.playback.frameMeanError).toBeLessThan(8);
  }
});

test('a GIF decodes in the browser to exactly the scaled source frames', async () => {
  const result = await page.evaluate(() => exportLab.gif({ prompt: 'a small yellow square rotates on a brown background', seed: 4, frames: 8, height: 32, width: 32, scale: 4 }));
  expect(result).toMatchObject({ frames: 8, width: 128, height: 128, mismatchedValues: 0 });
});

test('the dataset zip holds metadata.jsonl and one MP4 per video, encoded by ffmpeg.wasm', async () => {
  const result = await page.evaluate(() => exportLab.dataset());
  const names = Object.keys(result.files).sort();
  expect(names.filter((n) => n.endsWith('.mp4')).length).toBe(4);
  expect(names).toContain('metadata.jsonl');
  expect(names).toContain('README.md');
  for (const name of names.filter((n) => n.endsWith('.mp4'))) expect(String.fromCharCode(...result.files[name].slice(4, 8))).toBe('ftyp');
  const rows = result.metadata.trim().split('\n').map((line) => JSON.parse(line));
  expect(rows.map((r) => [r.decision, r.label_0, r.label_1, r.width, r.height, r.num_frames])).toEqual([
    ['left', 0, 1, 128, 128, 8],
    ['tie', 0.5, 0.5, 128, 128, 8],
  ]);
  expect(result.progress.at(-1)).toEqual([4, 4]);
});
