// RGB byte videos as the exporters see them: the form the page stores and the engine sends
// ([F, H, W, 3] uint8, frame-major; src/engine/protocol.ts), checked, and scaled up with nearest
// neighbour for the MP4 and GIF encoders (the model's 32×32 frames are too small to watch).
import type { VideoShape } from '../world/video';

export interface RgbVideo extends VideoShape {
  /** frames · height · width · 3 bytes, [F, H, W, RGB]. */
  data: Uint8Array;
}

/** Default pixel magnification of exported videos: 32×32 → 128×128. */
export const DEFAULT_SCALE = 4;
/** Default playback rate of exported videos (the studio's players loop at 8 fps too). */
export const DEFAULT_FPS = 8;

export function rgbByteLength(shape: VideoShape): number {
  return shape.frames * shape.height * shape.width * 3;
}

/** Throws an Error naming `what` unless the shape is positive integers and the bytes fit it. */
export function checkRgbVideo(video: RgbVideo, what = 'video'): void {
  for (const key of ['frames', 'height', 'width'] as const) {
    const v = video[key];
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${what}: ${key} must be a positive integer, got ${JSON.stringify(v)}.`);
  }
  const expected = rgbByteLength(video);
  if (!(video.data instanceof Uint8Array) || video.data.length !== expected) {
    const got = video.data instanceof Uint8Array ? `${video.data.length} bytes` : `a ${(video.data as object)?.constructor?.name ?? typeof video.data}`;
    throw new Error(`${what}: got ${got}, but ${video.frames}×${video.height}×${video.width}×3 RGB needs ${expected} bytes (uint8, frame-major).`);
  }
}

/** A positive integer option, or the default; anything else is an Error naming the option. */
export function positiveIntegerOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}.`);
  return value;
}

/** A positive finite option (fps may be fractional), or the default. */
export function positiveOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new Error(`${name} must be a positive number, got ${JSON.stringify(value)}.`);
  return value;
}

/**
 * Each pixel repeated `scale`×`scale` times (nearest neighbour: crisp pixels, no blur). With
 * `even`, an odd output side gets one more column/row repeating the last one, because H.264 in
 * yuv420p needs even sizes.
 */
export function upscaleNearest(video: RgbVideo, scale: number, opts: { even?: boolean } = {}): RgbVideo {
  const { data, height, width } = scalePixels(video.data, video, 3, scale, opts.even ?? false);
  return { frames: video.frames, height, width, data };
}

/** The shape after upscaleNearest: sides × scale, rounded up to even when `even`. */
export function scaledShape(shape: VideoShape, scale: number, even: boolean): VideoShape {
  const side = (n: number) => (even && (n * scale) % 2 === 1 ? n * scale + 1 : n * scale);
  return { frames: shape.frames, height: side(shape.height), width: side(shape.width) };
}

/** upscaleNearest for any number of bytes per pixel (`channels`), e.g. 1 for palette indices. */
export function scalePixels(data: Uint8Array, shape: VideoShape, channels: number, scale: number, even: boolean): { data: Uint8Array; height: number; width: number } {
  const { height, width } = scaledShape(shape, scale, even);
  if (height === shape.height && width === shape.width) return { data, height, width };
  const out = new Uint8Array(shape.frames * height * width * channels);
  // Source column of each output column, clamped for the padding column.
  const sourceX = Int32Array.from({ length: width }, (_, x) => Math.min(Math.floor(x / scale), shape.width - 1));
  for (let f = 0; f < shape.frames; f++) {
    for (let y = 0; y < height; y++) {
      const sy = Math.min(Math.floor(y / scale), shape.height - 1);
      const src = (f * shape.height + sy) * shape.width * channels;
      const dst = (f * height + y) * width * channels;
      for (let x = 0; x < width; x++) {
        const s = src + channels * sourceX[x];
        const d = dst + channels * x;
        for (let c = 0; c < channels; c++) out[d + c] = data[s + c];
      }
    }
  }
  return { data: out, height, width };
}

/**
 * A file name stem for a video id that is safe on every file system and reversible: characters
 * outside `A–Z a–z 0–9 . _ -` are percent-encoded as in URLs (`r0-p0:1` → `r0-p0%3A1`), and a
 * leading dot is encoded so no stem is hidden or `..`.
 */
export function videoFileStem(id: string): string {
  if (id.length === 0) throw new Error('A video id is empty; every video needs an id to be exported.');
  const encoded = encodeURIComponent(id).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return encoded.startsWith('.') ? `%2E${encoded.slice(1)}` : encoded;
}

/** Inverse of videoFileStem. */
export function videoIdFromStem(stem: string): string {
  return decodeURIComponent(stem);
}

/** `id` with characters outside `A–Z a–z 0–9 . _ -` (and a leading dot) replaced by `_`. */
export function readableFileStem(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_') || '_';
}

/**
 * Readable, distinct file name stems for video ids, allocated as ids are first seen: the
 * readableFileStem (`r0-p0:1` → `r0-p0_1`), with `-2`, `-3`, … when another id already has it.
 * For files other tools read (the dataset), where a `%` in a path may be taken for a URL escape;
 * backups use the reversible videoFileStem.
 */
export function fileStemAllocator(): { stem: (id: string) => string; ids: () => string[] } {
  const stems = new Map<string, string>();
  const taken = new Set<string>();
  return {
    stem(id) {
      let stem = stems.get(id);
      if (stem === undefined) {
        const base = readableFileStem(id);
        stem = base;
        for (let n = 2; taken.has(stem); n++) stem = `${base}-${n}`;
        taken.add(stem);
        stems.set(id, stem);
      }
      return stem;
    },
    ids: () => [...stems.keys()],
  };
}
