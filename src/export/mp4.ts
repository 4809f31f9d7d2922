// H.264 MP4 from an RGB byte video with ffmpeg.wasm (@ffmpeg/ffmpeg + the single-thread
// @ffmpeg/core), in the browser only.
//
// The core (ffmpeg-core.js, ~110 KB, and ffmpeg-core.wasm, ~31 MB) is served by our own build:
// the `?url` imports below make Vite emit both files into dist/assets and give their URLs, so
// nothing comes from a CDN and the page stays cross-origin isolated (COOP/COEP; same-origin
// resources need no CORP header). The single-thread core needs no SharedArrayBuffer. Nothing is
// fetched until the first encode: @ffmpeg/ffmpeg is imported dynamically (its own chunk and
// worker) and the core is loaded then, once, and reused.
//
// Frames go in as raw RGB and come out as `libx264`, `yuv420p` (what every player decodes),
// `+faststart` (moov first, so a browser starts playing before the whole file arrives). The
// frames are scaled up with nearest neighbour here (upscaleNearest, also used by the GIF
// encoder), to even sides as yuv420p needs.
import coreURL from '@ffmpeg/core?url';
import wasmURL from '@ffmpeg/core/wasm?url';
import type { FFmpeg } from '@ffmpeg/ffmpeg';
import { checkRgbVideo, DEFAULT_FPS, DEFAULT_SCALE, positiveIntegerOption, positiveOption, upscaleNearest, type RgbVideo } from './video';

export interface Mp4Options {
  /** Frame rate (default 8). */
  fps?: number;
  /** Nearest-neighbour magnification (default 4: 32×32 → 128×128); odd sides are padded to even. */
  scale?: number;
  /** Fraction of frames encoded so far, in [0, 1]; 1 when the file is ready. */
  onProgress?: (fraction: number) => void;
  /** x264 constant rate factor: 0 lossless … 51 worst (default 18, visually lossless). */
  crf?: number;
}

const DEFAULT_CRF = 18;
const LOG_LINES_KEPT = 20;

let ffmpegReady: Promise<FFmpeg> | null = null;
/** Encodes run one at a time on the one ffmpeg instance. */
let queue: Promise<unknown> = Promise.resolve();
let jobCounter = 0;

/** Absolute URL of a build asset (the ffmpeg worker resolves relative URLs against its own). */
function absolute(url: string): string {
  return new URL(url, globalThis.location?.href).href;
}

/** The loaded ffmpeg (core fetched on first use; a failed load is retried next time). */
export function loadFfmpeg(): Promise<FFmpeg> {
  ffmpegReady ??= (async () => {
    if (typeof Worker === 'undefined') throw new Error('MP4 export needs a browser (ffmpeg.wasm runs in a Web Worker).');
    const { FFmpeg } = await import('@ffmpeg/ffmpeg');
    const ffmpeg = new FFmpeg();
    await ffmpeg.load({ coreURL: absolute(coreURL), wasmURL: absolute(wasmURL) });
    return ffmpeg;
  })().catch((e: unknown) => {
    ffmpegReady = null;
    throw new Error(`Could not load the video encoder (ffmpeg.wasm from ${coreURL}): ${e instanceof Error ? e.message : String(e)}. Reload the page and try again.`);
  });
  return ffmpegReady;
}

/** ffmpeg arguments: raw RGB frames in, H.264 yuv420p MP4 out. */
export function mp4Arguments(o: { width: number; height: number; fps: number; crf: number; input: string; output: string }): string[] {
  return [
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`, '-r', String(o.fps), '-i', o.input,
    // RGB → Y'CbCr with the BT.709 matrix, limited range, and the stream tagged so: players
    // assume BT.709 for untagged video, while ffmpeg's default conversion is BT.601.
    '-vf', 'scale=out_color_matrix=bt709:out_range=tv',
    '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', String(o.crf), '-preset', 'medium',
    '-movflags', '+faststart', o.output,
  ];
}

/** MP4 (H.264) bytes of an RGB video. Rejects with the tail of ffmpeg's log when encoding fails. */
export async function encodeMp4(video: RgbVideo, opts: Mp4Options = {}): Promise<Uint8Array> {
  checkRgbVideo(video, 'encodeMp4');
  const fps = positiveOption(opts.fps, DEFAULT_FPS, 'encodeMp4: fps');
  const scale = positiveIntegerOption(opts.scale, DEFAULT_SCALE, 'encodeMp4: scale');
  const crf = opts.crf ?? DEFAULT_CRF;
  if (!Number.isInteger(crf) || crf < 0 || crf > 51) throw new Error(`encodeMp4: crf must be an integer from 0 to 51, got ${JSON.stringify(opts.crf)}.`);
  const scaled = upscaleNearest(video, scale, { even: true });
  const job = queue.then(() => runEncode(scaled, fps, crf, opts.onProgress));
  queue = job.catch(() => undefined);
  return job;
}

async function runEncode(video: RgbVideo, fps: number, crf: number, onProgress?: (fraction: number) => void): Promise<Uint8Array> {
  const ffmpeg = await loadFfmpeg();
  const id = ++jobCounter;
  const input = `in-${id}.rgb`;
  const output = `out-${id}.mp4`;
  const log: string[] = [];
  // Progress from ffmpeg's "frame=  N" stats lines (its progress event needs a known duration).
  const onLog = ({ message }: { message: string }) => {
    log.push(message);
    if (log.length > LOG_LINES_KEPT) log.shift();
    const frame = /frame=\s*(\d+)/.exec(message);
    if (frame && onProgress) onProgress(Math.min(1, Number(frame[1]) / video.frames));
  };
  ffmpeg.on('log', onLog);
  try {
    // writeFile transfers the buffer to the worker: hand it a copy, not the caller's pixels.
    await ffmpeg.writeFile(input, video.data.slice());
    const code = await ffmpeg.exec(mp4Arguments({ width: video.width, height: video.height, fps, crf, input, output }));
    if (code !== 0) throw new Error(`ffmpeg exited with code ${code}:\n${log.join('\n')}`);
    const data = await ffmpeg.readFile(output);
    if (!(data instanceof Uint8Array)) throw new Error('ffmpeg returned text instead of the MP4 bytes');
    onProgress?.(1);
    return data;
  } catch (e) {
    throw new Error(`MP4 encoding of a ${video.frames}-frame ${video.width}×${video.height} video failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    ffmpeg.off('log', onLog);
    await ffmpeg.deleteFile(input).catch(() => undefined);
    await ffmpeg.deleteFile(output).catch(() => undefined);
  }
}
