import zlib from 'node:zlib';
import { crc32 } from '../../src/io/crc32';

/**
 * Minimal PNG codec for the Node scripts (contact sheets out, first frames in). 8-bit only:
 * writes RGB; reads grayscale, RGB, RGBA, grey+alpha and palette images, non-interlaced.
 */

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encode RGB bytes [height, width, 3]. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter: none
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  return Buffer.concat([Buffer.from(SIGNATURE), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decode to RGB bytes [height, width, 3] (alpha composited over black). */
export function decodePng(bytes: Uint8Array, fileName: string): { width: number; height: number; rgb: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(Buffer.from(SIGNATURE))) throw new Error(`${fileName}: not a PNG file (bad signature). Save the first frame as PNG.`);
  let pos = 8, width = 0, height = 0, depth = 0, colourType = 0, interlace = 0;
  let palette: Uint8Array | null = null;
  const idat: Buffer[] = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4); depth = data[8]; colourType = data[9]; interlace = data[12];
    } else if (type === 'PLTE') palette = Uint8Array.from(data);
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (depth !== 8 || !channels || interlace !== 0) throw new Error(`${fileName}: unsupported PNG (bit depth ${depth}, colour type ${colourType}, interlace ${interlace}); save it as an 8-bit non-interlaced RGB PNG.`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) throw new Error(`${fileName}: corrupt PNG (filter ${filter} on row ${y}).`);
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * channels, (i + 1) * channels);
    let r: number, g: number, bl: number, alpha = 255;
    if (colourType === 3) {
      if (!palette) throw new Error(`${fileName}: palette PNG without a palette.`);
      [r, g, bl] = [palette[p[0] * 3], palette[p[0] * 3 + 1], palette[p[0] * 3 + 2]];
    } else if (channels <= 2) {
      r = g = bl = p[0];
      if (channels === 2) alpha = p[1];
    } else {
      [r, g, bl] = [p[0], p[1], p[2]];
      if (channels === 4) alpha = p[3];
    }
    rgb.set([(r * alpha) / 255, (g * alpha) / 255, (bl * alpha) / 255].map(Math.round), i * 3);
  }
  return { width, height, rgb };
}

/**
 * A contact sheet: one row per video, its frames side by side, each pixel scaled up
 * `scale`× (nearest), `gap` pixels of gray between cells. Videos are uint8 [F, H, W, 3].
 */
export function contactSheet(videos: Uint8Array[], frames: number, height: number, width: number, scale = 4, gap = 2): { rgb: Uint8Array; width: number; height: number } {
  const cellW = width * scale, cellH = height * scale;
  const outW = frames * cellW + (frames + 1) * gap;
  const outH = videos.length * cellH + (videos.length + 1) * gap;
  const rgb = new Uint8Array(outW * outH * 3).fill(96);
  videos.forEach((video, row) => {
    for (let f = 0; f < frames; f++) {
      const ox = gap + f * (cellW + gap), oy = gap + row * (cellH + gap);
      for (let y = 0; y < cellH; y++) for (let x = 0; x < cellW; x++) {
        const src = ((f * height + Math.floor(y / scale)) * width + Math.floor(x / scale)) * 3;
        rgb.set(video.subarray(src, src + 3), ((oy + y) * outW + ox + x) * 3);
      }
    }
  });
  return { rgb, width: outW, height: outH };
}
