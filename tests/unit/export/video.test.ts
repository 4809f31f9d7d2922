import { describe, expect, it } from 'vitest';
import { encodeMp4, mp4Arguments } from '../../../src/export/mp4';
import { checkRgbVideo, scaledShape, upscaleNearest, type RgbVideo } from '../../../src/export/video';

/** A 2-frame 3×2 video whose pixel (f, y, x) is [f, y, x] + 10·channel, to see where each lands. */
const video: RgbVideo = { frames: 2, height: 2, width: 3, data: new Uint8Array(2 * 2 * 3 * 3) };
for (let f = 0; f < 2; f++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) video.data[((f * 2 + y) * 3 + x) * 3 + c] = 100 * f + 10 * y + x + 50 * c;
const at = (v: RgbVideo, f: number, y: number, x: number) => [...v.data.subarray(((f * v.height + y) * v.width + x) * 3, ((f * v.height + y) * v.width + x) * 3 + 3)];

describe('upscaleNearest', () => {
  it('repeats every pixel scale×scale times, frame by frame', () => {
    const big = upscaleNearest(video, 3);
    expect([big.frames, big.height, big.width]).toEqual([2, 6, 9]);
    for (let f = 0; f < 2; f++) for (let y = 0; y < 6; y++) for (let x = 0; x < 9; x++) expect(at(big, f, y, x)).toEqual(at(video, f, Math.floor(y / 3), Math.floor(x / 3)));
  });
  it('with even, pads odd sides by repeating the last row/column (H.264 yuv420p needs even sizes)', () => {
    const padded = upscaleNearest(video, 1, { even: true });
    expect([padded.height, padded.width]).toEqual([2, 4]);
    expect(at(padded, 1, 1, 3)).toEqual(at(video, 1, 1, 2));
    expect(scaledShape({ frames: 8, height: 31, width: 17 }, 1, true)).toEqual({ frames: 8, height: 32, width: 18 });
    expect(scaledShape({ frames: 8, height: 32, width: 32 }, 4, true)).toEqual({ frames: 8, height: 128, width: 128 });
  });
  it('checkRgbVideo names the input and the byte count it needs', () => {
    expect(() => checkRgbVideo({ ...video, data: new Uint8Array(5) }, 'clip "a"')).toThrow(/clip "a": got 5 bytes, but 2×2×3×3 RGB needs 36 bytes/);
    expect(() => checkRgbVideo({ ...video, frames: 0 })).toThrow(/frames must be a positive integer/);
    expect(() => checkRgbVideo({ ...video, data: new Float32Array(36) as unknown as Uint8Array })).toThrow(/got a Float32Array/);
  });
});

describe('encodeMp4 outside a browser', () => {
  it('checks its input first, then says it needs a browser (ffmpeg.wasm runs in a Web Worker)', async () => {
    await expect(encodeMp4({ ...video, data: new Uint8Array(3) })).rejects.toThrow(/encodeMp4: got 3 bytes/);
    await expect(encodeMp4(video, { crf: 60 })).rejects.toThrow(/crf must be an integer from 0 to 51/);
    await expect(encodeMp4(video)).rejects.toThrow(/MP4 export needs a browser/);
  });
  it('asks ffmpeg for raw RGB in and H.264 yuv420p, BT.709, faststart out', () => {
    const args = mp4Arguments({ width: 128, height: 96, fps: 8, crf: 18, input: 'in.rgb', output: 'out.mp4' }).join(' ');
    expect(args).toMatch(/^-f rawvideo -pix_fmt rgb24 -s 128x96 -r 8 -i in\.rgb /);
    expect(args).toMatch(/-c:v libx264 -pix_fmt yuv420p /);
    expect(args).toMatch(/-movflags \+faststart out\.mp4$/);
  });
});
