// Animated GIF (GIF89a, https://www.w3.org/Graphics/GIF/spec-gif89a.txt) from an RGB byte
// video: one global palette of at most 256 colours (median cut over every frame, exact when the
// video has ≤ 256 colours, as rendered ones do), frames scaled up with nearest neighbour, LZW
// compressed, looping through the NETSCAPE2.0 extension. No dependency: a GIF is small to write.
//
// File layout:
//   "GIF89a" · logical screen descriptor · global colour table
//   [NETSCAPE2.0 loop extension]
//   per frame: graphic control extension (delay) · image descriptor · LZW min code size ·
//              data sub-blocks (≤ 255 B each) · 0
//   trailer 0x3B
import { checkRgbVideo, DEFAULT_FPS, DEFAULT_SCALE, positiveIntegerOption, positiveOption, scalePixels, type RgbVideo } from './video';

export interface GifOptions {
  /** Playback rate (default 8). GIF delays are in 1/100 s; they are spread so the mean rate is exact. */
  fps?: number;
  /** Nearest-neighbour magnification (default 4: 32×32 → 128×128). */
  scale?: number;
  /** Loop forever (default true) or play once. */
  loop?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Palette: median cut (Heckbert 1982) over the distinct colours weighted by pixel count

export interface Quantised {
  /** RGB triples, `palette.length / 3` colours (≤ 256). */
  palette: Uint8Array;
  /** One palette index per pixel, in the video's pixel order. */
  indices: Uint8Array;
}

interface Box {
  colours: number[]; // rgb24 values
  pixels: number;
  range: number; // widest channel range
  channel: number; // 0 = red, 1 = green, 2 = blue (shift 16, 8, 0)
}

const channelOf = (rgb: number, channel: number) => (rgb >> (16 - 8 * channel)) & 0xff;

function makeBox(colours: number[], counts: Map<number, number>): Box {
  const lo = [255, 255, 255];
  const hi = [0, 0, 0];
  let pixels = 0;
  for (const c of colours) {
    pixels += counts.get(c)!;
    for (let ch = 0; ch < 3; ch++) {
      const v = channelOf(c, ch);
      if (v < lo[ch]) lo[ch] = v;
      if (v > hi[ch]) hi[ch] = v;
    }
  }
  const ranges = hi.map((h, ch) => h - lo[ch]);
  const channel = ranges.indexOf(Math.max(...ranges));
  return { colours, pixels, range: ranges[channel], channel };
}

/** Split along the widest channel where half the box's pixels lie on each side. */
function splitBox(box: Box, counts: Map<number, number>): [Box, Box] {
  const sorted = [...box.colours].sort((a, b) => channelOf(a, box.channel) - channelOf(b, box.channel) || a - b);
  let cumulative = 0;
  let cut = 1;
  for (let i = 0; i < sorted.length - 1; i++) {
    cumulative += counts.get(sorted[i])!;
    cut = i + 1;
    if (cumulative >= box.pixels / 2) break;
  }
  return [makeBox(sorted.slice(0, cut), counts), makeBox(sorted.slice(cut), counts)];
}

/** A global palette for all frames and each pixel's nearest palette colour. */
export function quantise(pixels: Uint8Array, maxColours = 256): Quantised {
  // 1. distinct colours and their pixel counts
  const counts = new Map<number, number>();
  for (let i = 0; i < pixels.length; i += 3) {
    const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  // 2. median cut until maxColours boxes or none can be split (then every colour has its own)
  const boxes = [makeBox([...counts.keys()], counts)];
  while (boxes.length < maxColours) {
    let best = -1;
    for (let b = 0; b < boxes.length; b++) {
      if (boxes[b].colours.length < 2) continue;
      if (best < 0 || boxes[b].range > boxes[best].range || (boxes[b].range === boxes[best].range && boxes[b].pixels > boxes[best].pixels)) best = b;
    }
    if (best < 0) break;
    boxes.splice(best, 1, ...splitBox(boxes[best], counts));
  }
  // 3. palette = pixel-weighted mean of each box
  const palette = new Uint8Array(boxes.length * 3);
  boxes.forEach((box, b) => {
    const sum = [0, 0, 0];
    for (const c of box.colours) for (let ch = 0; ch < 3; ch++) sum[ch] += channelOf(c, ch) * counts.get(c)!;
    for (let ch = 0; ch < 3; ch++) palette[3 * b + ch] = Math.round(sum[ch] / box.pixels);
  });
  // 4. nearest palette colour per distinct colour (a box's mean may sit nearer another box's colour)
  const nearest = new Map<number, number>();
  for (const c of counts.keys()) {
    let bestIndex = 0;
    let bestDistance = Infinity;
    for (let p = 0; p < boxes.length; p++) {
      const dr = channelOf(c, 0) - palette[3 * p];
      const dg = channelOf(c, 1) - palette[3 * p + 1];
      const db = channelOf(c, 2) - palette[3 * p + 2];
      const d = dr * dr + dg * dg + db * db;
      if (d < bestDistance) {
        bestDistance = d;
        bestIndex = p;
      }
    }
    nearest.set(c, bestIndex);
  }
  const indices = new Uint8Array(pixels.length / 3);
  for (let i = 0; i < indices.length; i++) indices[i] = nearest.get((pixels[3 * i] << 16) | (pixels[3 * i + 1] << 8) | pixels[3 * i + 2])!;
  return { palette, indices };
}

// ---------------------------------------------------------------------------------------------
// LZW (GIF variant: variable code width from minCodeSize + 1 up to 12 bits, LSB-first packing)

const MAX_CODE = 4096;

/** The LZW code stream of one frame's palette indices (before splitting into sub-blocks). */
export function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  const clearCode = 1 << minCodeSize;
  const endCode = clearCode + 1;
  const out: number[] = [];
  let bitBuffer = 0;
  let bitCount = 0;
  let codeSize = minCodeSize + 1;
  const emit = (code: number) => {
    bitBuffer |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      out.push(bitBuffer & 0xff);
      bitBuffer >>>= 8;
      bitCount -= 8;
    }
  };

  // Dictionary: (prefix code, next index) → code, keyed prefix·256 + index.
  let dictionary = new Map<number, number>();
  let nextCode = endCode + 1;
  emit(clearCode);
  if (indices.length === 0) {
    emit(endCode);
  } else {
    let prefix = indices[0];
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i];
      const key = prefix * 256 + k;
      const known = dictionary.get(key);
      if (known !== undefined) {
        prefix = known;
        continue;
      }
      emit(prefix);
      if (nextCode < MAX_CODE) {
        dictionary.set(key, nextCode++);
        // The decoder adds this entry one code later, so it widens when nextCode exceeds 2^codeSize.
        if (nextCode > 1 << codeSize && codeSize < 12) codeSize++;
      } else {
        // Table full: start over (the clear is read at 12 bits).
        emit(clearCode);
        dictionary = new Map();
        nextCode = endCode + 1;
        codeSize = minCodeSize + 1;
      }
      prefix = k;
    }
    emit(prefix);
    emit(endCode);
  }
  if (bitCount > 0) out.push(bitBuffer & 0xff);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// File

class ByteWriter {
  private chunks: number[] = [];
  byte(...values: number[]) {
    for (const v of values) this.chunks.push(v & 0xff);
  }
  u16(v: number) {
    this.byte(v, v >> 8);
  }
  ascii(text: string) {
    for (const ch of text) this.byte(ch.charCodeAt(0));
  }
  /** Data as sub-blocks of at most 255 bytes, each preceded by its length, then a 0 terminator. */
  subBlocks(data: Uint8Array) {
    for (let i = 0; i < data.length; i += 255) {
      const block = data.subarray(i, i + 255);
      this.byte(block.length);
      for (const v of block) this.chunks.push(v);
    }
    this.byte(0);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** Per-frame delays in 1/100 s whose running sum tracks frames/fps (12, 13, 12, 13 … at 8 fps). */
export function frameDelays(frames: number, fps: number): number[] {
  const at = (i: number) => Math.round((100 * i) / fps);
  // Browsers show delays below 2 cs as 10 cs; never go below 2.
  return Array.from({ length: frames }, (_, i) => Math.max(2, at(i + 1) - at(i)));
}

/** GIF89a bytes of an RGB video: palette-quantised, scaled with nearest neighbour, looping by default. */
export function encodeGif(video: RgbVideo, opts: GifOptions = {}): Uint8Array {
  checkRgbVideo(video, 'encodeGif');
  const fps = positiveOption(opts.fps, DEFAULT_FPS, 'encodeGif: fps');
  const scale = positiveIntegerOption(opts.scale, DEFAULT_SCALE, 'encodeGif: scale');
  const loop = opts.loop ?? true;

  // 1. palette over every frame at source resolution (scaling repeats pixels, adds no colour)
  const { palette, indices } = quantise(video.data);
  const colours = palette.length / 3;
  const tableBits = Math.max(1, Math.ceil(Math.log2(colours))); // table of 2^tableBits entries
  const minCodeSize = Math.max(2, tableBits);

  // 2. scale the index image (one byte per pixel)
  const scaled = scalePixels(indices, video, 1, scale, false);
  const framePixels = scaled.height * scaled.width;
  if (scaled.width > 0xffff || scaled.height > 0xffff) throw new Error(`encodeGif: ${scaled.width}×${scaled.height} exceeds GIF's 65,535-pixel sides; use a smaller scale.`);

  const w = new ByteWriter();
  // 3. header, logical screen descriptor, global colour table
  w.ascii('GIF89a');
  w.u16(scaled.width);
  w.u16(scaled.height);
  // global table present (0x80) | colour resolution 8 bits (7 << 4) | table size 2^(n+1)
  w.byte(0x80 | (7 << 4) | (tableBits - 1), 0, 0); // background colour 0, pixel aspect ratio 0
  for (let i = 0; i < 1 << tableBits; i++) w.byte(...(i < colours ? palette.subarray(3 * i, 3 * i + 3) : [0, 0, 0]));
  // 4. loop forever: NETSCAPE2.0 application extension, sub-block 1 = loop count (0 = infinite)
  if (loop) {
    w.byte(0x21, 0xff, 11);
    w.ascii('NETSCAPE2.0');
    w.byte(3, 1);
    w.u16(0);
    w.byte(0);
  }
  // 5. frames
  const delays = frameDelays(video.frames, fps);
  for (let f = 0; f < video.frames; f++) {
    // graphic control extension: disposal 1 (leave in place), no transparency, delay
    w.byte(0x21, 0xf9, 4, 1 << 2);
    w.u16(delays[f]);
    w.byte(0, 0);
    // image descriptor: full canvas, no local table, not interlaced
    w.byte(0x2c);
    w.u16(0);
    w.u16(0);
    w.u16(scaled.width);
    w.u16(scaled.height);
    w.byte(0);
    w.byte(minCodeSize);
    w.subBlocks(lzwEncode(scaled.data.subarray(f * framePixels, (f + 1) * framePixels), minCodeSize));
  }
  w.byte(0x3b);
  return w.bytes();
}
