import { describe, expect, it } from 'vitest';
import { encodeGif, frameDelays } from '../../../src/export/gif';
import { upscaleNearest, type RgbVideo } from '../../../src/export/video';
import { render } from '../../../src/world/render';
import { makeRng } from '../../../src/world/rng';
import { videoToUint8 } from '../../../src/world/video';

// ---------------------------------------------------------------------------------------------
// A small GIF decoder written from the GIF89a spec, for the tests only: it reads what a browser
// reads (blocks, colour table, extensions, LZW with variable code width and clear codes).

interface DecodedGif {
  width: number;
  height: number;
  palette: Uint8Array;
  loop: boolean;
  delays: number[];
  /** RGB frames, [H, W, 3] each. */
  frames: Uint8Array[];
}

function lzwDecode(data: Uint8Array, minCodeSize: number, pixelCount: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const out = new Uint8Array(pixelCount);
  let written = 0;
  let codeSize = minCodeSize + 1;
  let table: number[][] = [];
  const reset = () => {
    table = Array.from({ length: clear + 2 }, (_, i) => [i]);
    codeSize = minCodeSize + 1;
  };
  reset();
  let bitPos = 0;
  const read = () => {
    let code = 0;
    for (let b = 0; b < codeSize; b++, bitPos++) {
      const byte = data[bitPos >> 3];
      if (byte === undefined) throw new Error('LZW data ran out before the end code');
      code |= ((byte >> (bitPos & 7)) & 1) << b;
    }
    return code;
  };
  let previous: number[] | null = null;
  for (;;) {
    const code = read();
    if (code === clear) {
      reset();
      previous = null;
      continue;
    }
    if (code === end) break;
    let entry: number[];
    if (code < table.length) entry = table[code];
    else if (code === table.length && previous) entry = [...previous, previous[0]];
    else throw new Error(`bad LZW code ${code} (table has ${table.length})`);
    for (const v of entry) out[written++] = v;
    if (previous && table.length < 4096) table.push([...previous, entry[0]]);
    if (table.length === 1 << codeSize && codeSize < 12) codeSize++;
    previous = entry;
  }
  if (written !== pixelCount) throw new Error(`LZW gave ${written} pixels, expected ${pixelCount}`);
  return out;
}

function decodeGif(bytes: Uint8Array): DecodedGif {
  let p = 0;
  const u8 = () => bytes[p++];
  const u16 = () => bytes[p++] | (bytes[p++] << 8);
  const subBlocks = () => {
    const parts: number[] = [];
    for (let n = u8(); n > 0; n = u8()) for (let i = 0; i < n; i++) parts.push(u8());
    return Uint8Array.from(parts);
  };
  const signature = String.fromCharCode(...bytes.subarray(0, 6));
  if (signature !== 'GIF89a') throw new Error(`signature ${signature}`);
  p = 6;
  const width = u16();
  const height = u16();
  const packed = u8();
  p += 2; // background index, aspect ratio
  if (!(packed & 0x80)) throw new Error('no global colour table');
  const tableSize = 2 << (packed & 7);
  const palette = bytes.slice(p, p + 3 * tableSize);
  p += 3 * tableSize;
  const gif: DecodedGif = { width, height, palette, loop: false, delays: [], frames: [] };
  for (;;) {
    const block = u8();
    if (block === 0x3b) return gif;
    if (block === 0x21) {
      const label = u8();
      if (label === 0xf9) {
        p += 2; // size 4, packed
        gif.delays.push(u16());
        p += 2; // transparent index, terminator
      } else if (label === 0xff) {
        const size = u8();
        const app = String.fromCharCode(...bytes.subarray(p, p + size));
        p += size;
        const data = subBlocks();
        if (app === 'NETSCAPE2.0' && data[0] === 1) gif.loop = (data[1] | (data[2] << 8)) === 0;
      } else {
        subBlocks();
      }
    } else if (block === 0x2c) {
      const [left, top, w, h] = [u16(), u16(), u16(), u16()];
      if (left !== 0 || top !== 0 || w !== width || h !== height) throw new Error('partial frames are not expected');
      if (u8() & 0x80) throw new Error('unexpected local colour table');
      const minCodeSize = u8();
      const indices = lzwDecode(subBlocks(), minCodeSize, w * h);
      const rgb = new Uint8Array(w * h * 3);
      indices.forEach((index, i) => rgb.set(palette.subarray(3 * index, 3 * index + 3), 3 * i));
      gif.frames.push(rgb);
    } else {
      throw new Error(`unknown block 0x${block.toString(16)} at ${p - 1}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

const shape = { frames: 8, height: 32, width: 32 };

function renderedVideo(prompt: string, seed: number): RgbVideo {
  return { ...shape, data: videoToUint8(render(prompt, seed, shape)) };
}

function noiseVideo(seed: number): RgbVideo {
  const rng = makeRng(seed);
  return { ...shape, data: Uint8Array.from({ length: 8 * 32 * 32 * 3 }, () => Math.floor(rng() * 256)) };
}

const frameOf = (video: RgbVideo, f: number) => video.data.subarray(f * video.height * video.width * 3, (f + 1) * video.height * video.width * 3);

describe('encodeGif', () => {
  it('writes GIF89a with the trailer, the scaled size, and loops by default', () => {
    const gif = encodeGif(renderedVideo('a red circle moves left', 1));
    expect(String.fromCharCode(...gif.subarray(0, 6))).toBe('GIF89a');
    expect(gif[gif.length - 1]).toBe(0x3b);
    const decoded = decodeGif(gif);
    expect([decoded.width, decoded.height]).toEqual([128, 128]);
    expect(decoded.frames.length).toBe(8);
    expect(decoded.loop).toBe(true);
    expect(decodeGif(encodeGif(renderedVideo('a red circle moves left', 1), { loop: false })).loop).toBe(false);
  });

  it('a video with ≤ 256 colours decodes back pixel for pixel (nearest-neighbour scaled)', () => {
    const video = renderedVideo('a small green triangle bounces on a gray background', 5);
    const colours = new Set<number>();
    for (let i = 0; i < video.data.length; i += 3) colours.add((video.data[i] << 16) | (video.data[i + 1] << 8) | video.data[i + 2]);
    expect(colours.size).toBeLessThanOrEqual(256);
    const decoded = decodeGif(encodeGif(video, { scale: 3 }));
    const expected = upscaleNearest(video, 3);
    expect([decoded.width, decoded.height]).toEqual([96, 96]);
    decoded.frames.forEach((frame, f) => expect(Buffer.compare(frame, frameOf(expected, f))).toBe(0));
  });

  it('a video with more colours is quantised to 256: each pixel gets its nearest palette colour', () => {
    const video = noiseVideo(3);
    const decoded = decodeGif(encodeGif(video, { scale: 4 })); // 128×128 noise: the LZW table fills and clears
    expect(decoded.palette.length).toBe(256 * 3);
    const scaled = upscaleNearest(video, 4);
    const nearestDistance = (r: number, g: number, b: number) => {
      let best = Infinity;
      for (let i = 0; i < 256; i++) best = Math.min(best, (r - decoded.palette[3 * i]) ** 2 + (g - decoded.palette[3 * i + 1]) ** 2 + (b - decoded.palette[3 * i + 2]) ** 2);
      return best;
    };
    let totalError = 0;
    let pixels = 0;
    decoded.frames.forEach((frame, f) => {
      const source = frameOf(scaled, f);
      for (let i = 0; i < frame.length; i += 3 * 37) { // every 37th pixel: the check is O(256) each
        const [r, g, b] = [source[i], source[i + 1], source[i + 2]];
        const d = (r - frame[i]) ** 2 + (g - frame[i + 1]) ** 2 + (b - frame[i + 2]) ** 2;
        expect(d).toBe(nearestDistance(r, g, b));
        totalError += Math.sqrt(d);
        pixels++;
      }
    });
    // 256 colours over uniform RGB noise: typical distance to the nearest of them is ~30 of 441.
    expect(totalError / pixels).toBeLessThan(45);
  });

  it('one- and two-colour videos (the smallest tables and code sizes) decode exactly', () => {
    const flat: RgbVideo = { frames: 2, height: 4, width: 6, data: new Uint8Array(2 * 4 * 6 * 3).fill(200) };
    const decodedFlat = decodeGif(encodeGif(flat, { scale: 1 }));
    expect(decodedFlat.frames.every((frame) => frame.every((v) => v === 200))).toBe(true);
    const checker: RgbVideo = { frames: 3, height: 5, width: 7, data: new Uint8Array(3 * 5 * 7 * 3) };
    for (let i = 0; i < 3 * 5 * 7; i++) if ((i + Math.floor(i / 7)) % 2) checker.data.fill(255, 3 * i, 3 * i + 3);
    const decodedChecker = decodeGif(encodeGif(checker, { scale: 2 }));
    decodedChecker.frames.forEach((frame, f) => expect(Buffer.compare(frame, frameOf(upscaleNearest(checker, 2), f))).toBe(0));
  });

  it('frame delays average exactly 1/fps (in 1/100 s) and never drop below 2', () => {
    const decoded = decodeGif(encodeGif(renderedVideo('a blue square moves up', 2), { fps: 8 }));
    expect(decoded.delays).toEqual([13, 12, 13, 12, 13, 12, 13, 12]);
    expect(decoded.delays.reduce((a, b) => a + b)).toBe(100);
    expect(frameDelays(4, 200)).toEqual([2, 2, 2, 2]);
  });

  it('rejects bytes that do not fit the shape, and bad options, naming them', () => {
    expect(() => encodeGif({ ...shape, data: new Uint8Array(10) })).toThrow(/encodeGif: got 10 bytes, but 8×32×32×3 RGB needs 24576 bytes/);
    expect(() => encodeGif(renderedVideo('a red circle grows', 1), { scale: 1.5 })).toThrow(/scale must be a positive integer/);
    expect(() => encodeGif(renderedVideo('a red circle grows', 1), { fps: 0 })).toThrow(/fps must be a positive number/);
  });
});
