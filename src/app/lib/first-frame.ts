// First frames for HuViDPO's first-frame mode, as the engine takes them: [H, W, 3] uint8 RGB.
// Either an uploaded image, resized to the model's H×W, or frame 0 of the world's render.
import { firstFrameOf } from '../../prefs/pairs';
import type { Pair } from '../../prefs/types';
import type { VideoShape } from '../../world/video';
import { videoToUint8 } from '../../world/video';

/**
 * RGBA (any size) → RGB at dstW×dstH: each target pixel is the mean of the source pixels it covers
 * (a box filter, so a large photo does not alias), transparent pixels over black (the world's
 * default background).
 */
export function resizeRgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, srcW: number, srcH: number, dstW: number, dstH: number): Uint8Array {
  if (rgba.length !== srcW * srcH * 4) throw new Error(`resizeRgbaToRgb: ${rgba.length} bytes is not ${srcW}×${srcH}×4`);
  const out = new Uint8Array(dstW * dstH * 3);
  for (let y = 0; y < dstH; y++) {
    const y0 = Math.floor((y * srcH) / dstH);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * srcH) / dstH));
    for (let x = 0; x < dstW; x++) {
      const x0 = Math.floor((x * srcW) / dstW);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * srcW) / dstW));
      let r = 0, g = 0, b = 0, n = 0;
      for (let sy = y0; sy < y1; sy++)
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * srcW + sx) * 4;
          const a = rgba[i + 3] / 255;
          r += rgba[i] * a;
          g += rgba[i + 1] * a;
          b += rgba[i + 2] * a;
          n++;
        }
      const o = (y * dstW + x) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return out;
}

/** Decode an image file in the browser (PNG, JPEG, …) and resize it to the model's frame. */
export async function imageFileToFrame(file: Blob & { name?: string }, shape: Pick<VideoShape, 'height' | 'width'>): Promise<Uint8Array> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`"${file.name ?? 'the file'}" is not an image the browser can decode: choose a PNG (or JPEG) file.`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot read image pixels (no 2D canvas): use "Render frame 0 of the world" instead.');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return resizeRgbaToRgb(data, canvas.width, canvas.height, shape.width, shape.height);
}

/**
 * The first frame a pair's videos are conditioned on, as the engine's `firstFrame` bytes; null in
 * text-to-video mode. Rendered frames come from the world (prefs/pairs.ts firstFrameOf), images
 * from the project's video store.
 */
export function firstFrameBytes(pair: Pair, shape: VideoShape, videos: Record<string, Uint8Array>): Uint8Array | null {
  const ref = pair.firstFrame;
  if (!ref) return null;
  const frameSize = shape.height * shape.width * 3;
  if (ref.kind === 'image') {
    const image = videos[ref.id];
    if (!image || image.length < frameSize) throw new Error(`Pair ${pair.id}: its first-frame image "${ref.id}" is missing or not ${shape.height}×${shape.width}; upload the image again.`);
    return image.subarray(0, frameSize);
  }
  const frame = firstFrameOf(pair, shape)!;
  return videoToUint8({ frames: 1, height: shape.height, width: shape.width, data: frame });
}
