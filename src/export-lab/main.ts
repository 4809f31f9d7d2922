/**
 * The export lab page (export-lab.html): the exporters of src/export/ in the built page, as
 * functions on `window.exportLab` for Playwright (tests/browser/export.spec.ts). Videos are
 * rendered by the world (no model needed), so the page loads nothing but the encoders, and
 * ffmpeg.wasm only when an MP4 is asked for.
 */
import type { ProjectSnapshot } from '../export/backup';
import { buildDatasetZip } from '../export/dataset';
import { encodeGif } from '../export/gif';
import { encodeMp4 } from '../export/mp4';
import { upscaleNearest, type RgbVideo } from '../export/video';
import { readZip } from '../export/zip';
import { pairwiseJudgment, planPairs } from '../prefs/pairs';
import { render } from '../world/render';
import { videoToUint8, type VideoShape } from '../world/video';

export interface VideoRequest extends VideoShape {
  prompt: string;
  seed: number;
  scale?: number;
  fps?: number;
}

/** What the browser's own <video> made of an MP4 (null fields when it cannot play H.264). */
export interface Playback {
  canPlayType: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  /** Mean |decoded − source| over frame 2's RGB values, in 0..255. */
  frameMeanError: number | null;
}

function worldVideo(r: VideoRequest): RgbVideo {
  const shape = { frames: r.frames, height: r.height, width: r.width };
  return { ...shape, data: videoToUint8(render(r.prompt, r.seed, shape)) };
}

/** RGB bytes of whatever is drawable (a video element, a decoded frame) at width × height. */
function pixelsOf(source: CanvasImageSource, width: number, height: number): Uint8Array {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(source, 0, 0, width, height);
  const rgba = context.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(rgba.subarray(4 * i, 4 * i + 3), 3 * i);
  return rgb;
}

async function playback(mp4: Uint8Array, source: RgbVideo, fps: number): Promise<Playback> {
  const video = document.createElement('video');
  // x264's default profile for yuv420p at this size is High (avc1.64…).
  const canPlayType = video.canPlayType('video/mp4; codecs="avc1.64000b"');
  if (!canPlayType) return { canPlayType, width: null, height: null, duration: null, frameMeanError: null };
  const url = URL.createObjectURL(new Blob([mp4 as Uint8Array<ArrayBuffer>], { type: 'video/mp4' }));
  try {
    // In the document and seeked, or headless Chromium draws black: the middle of frame 2.
    video.muted = true;
    document.body.append(video);
    const loaded = (event: 'loadeddata' | 'seeked') => new Promise<void>((resolve, reject) => {
      video.addEventListener(event, () => resolve(), { once: true });
      video.onerror = () => reject(new Error(`the browser could not decode the MP4: ${video.error?.message ?? 'unknown error'}`));
    });
    video.src = url;
    await loaded('loadeddata');
    const frame = Math.min(2, source.frames - 1);
    video.currentTime = (frame + 0.5) / fps;
    await loaded('seeked');
    const decoded = pixelsOf(video, source.width, source.height);
    const want = source.data.subarray(frame * decoded.length, (frame + 1) * decoded.length);
    let error = 0;
    for (let i = 0; i < decoded.length; i++) error += Math.abs(decoded[i] - want[i]);
    return { canPlayType, width: video.videoWidth, height: video.videoHeight, duration: video.duration, frameMeanError: error / decoded.length };
  } finally {
    video.remove();
    URL.revokeObjectURL(url);
  }
}

/** Encode a rendered video to MP4; the bytes, the progress reported, and how the browser plays it. */
async function mp4(r: VideoRequest): Promise<{ bytes: number[]; progress: number[]; playback: Playback }> {
  const source = worldVideo(r);
  const progress: number[] = [];
  const bytes = await encodeMp4(source, { fps: r.fps, scale: r.scale, onProgress: (f) => progress.push(f) });
  return { bytes: Array.from(bytes), progress, playback: await playback(bytes, upscaleNearest(source, r.scale ?? 4, { even: true }), r.fps ?? 8) };
}

// WebCodecs' ImageDecoder (Chromium): decodes every frame of a GIF the way the browser shows it.
interface ImageDecoderLike {
  tracks: { ready: Promise<void>; selectedTrack: { frameCount: number } | null };
  decode(o: { frameIndex: number }): Promise<{ image: VideoFrame }>;
  close(): void;
}
type ImageDecoderConstructor = new (init: { data: Uint8Array; type: string }) => ImageDecoderLike;

/** Encode a rendered video to GIF and decode it with the browser: frames and mismatching pixels. */
async function gif(r: VideoRequest): Promise<{ size: number; frames: number; width: number; height: number; mismatchedValues: number }> {
  const source = worldVideo(r);
  const scale = r.scale ?? 4;
  const bytes = encodeGif(source, { scale, fps: r.fps });
  const expected = upscaleNearest(source, scale);
  const Decoder = (globalThis as { ImageDecoder?: ImageDecoderConstructor }).ImageDecoder;
  if (!Decoder) throw new Error('this browser has no ImageDecoder (WebCodecs)');
  const decoder = new Decoder({ data: bytes, type: 'image/gif' });
  await decoder.tracks.ready;
  const frames = decoder.tracks.selectedTrack?.frameCount ?? 0;
  let mismatchedValues = 0;
  const frameBytes = expected.width * expected.height * 3;
  for (let f = 0; f < frames; f++) {
    const { image } = await decoder.decode({ frameIndex: f });
    const pixels = pixelsOf(image, expected.width, expected.height);
    image.close();
    const want = expected.data.subarray(f * frameBytes, (f + 1) * frameBytes);
    for (let i = 0; i < frameBytes; i++) if (pixels[i] !== want[i]) mismatchedValues++;
  }
  decoder.close();
  return { size: bytes.length, frames, width: expected.width, height: expected.height, mismatchedValues };
}

/** A two-pair project of rendered videos through buildDatasetZip with the real MP4 encoder. */
async function dataset(): Promise<{ files: Record<string, number[]>; metadata: string; progress: [number, number][] }> {
  const shape = { frames: 8, height: 32, width: 32 };
  const pairs = planPairs({ prompts: ['a red circle moves left', 'a blue square moves up'], pairsPerPrompt: 1, round: 0, seed: 2, sampler: { steps: 24, guidance: 2 } });
  const videos: Record<string, Uint8Array> = {};
  for (const p of pairs) p.videoIds.forEach((id, k) => (videos[id] = videoToUint8(render(p.prompt, p.seeds[k], shape))));
  const judgments = pairs.map((pair, i) => pairwiseJudgment({ id: `j${i}`, pair, annotator: 'lab', annotatorKind: 'human', round: 1, decision: i === 0 ? 'left' : 'tie', leftWas: 1 }));
  const project: ProjectSnapshot = { version: 1, modelName: 'small', pairs, judgments, rounds: [], videos, createdAt: new Date().toISOString() };
  const progress: [number, number][] = [];
  const zip = await buildDatasetZip(project, { onProgress: (done, total) => progress.push([done, total]) });
  const entries = await readZip(zip, 'dataset.zip');
  const files: Record<string, number[]> = {};
  for (const [name, data] of entries) files[name] = Array.from(data.subarray(0, 16));
  return { files, metadata: new TextDecoder().decode(entries.get('metadata.jsonl')), progress };
}

const exportLab = { ready: true, mp4, gif, dataset };
export type ExportLab = typeof exportLab;
(window as unknown as { exportLab: ExportLab }).exportLab = exportLab;
document.body.dataset.ready = 'true';
