// The video container shared by the renderer, the detectors, the model and the exporters.

export interface VideoShape {
  frames: number;
  height: number;
  width: number;
}

/** Float32 pixels laid out [F, H, W, 3] (RGB last), values in [-1, 1]: pixel = 2·rgb − 1. */
export interface Video extends VideoShape {
  data: Float32Array;
}

export function emptyVideo(shape: VideoShape): Video {
  return { ...pickShape(shape), data: new Float32Array(shape.frames * shape.height * shape.width * 3) };
}

/** Just the three shape fields (a Video is also a VideoShape but carries its data along). */
export function pickShape(shape: VideoShape): VideoShape {
  return { frames: shape.frames, height: shape.height, width: shape.width };
}

/** [F, H, W, 3] bytes, round((x + 1) · 127.5) clamped to [0, 255]. */
export function videoToUint8(video: Video): Uint8Array {
  const bytes = new Uint8Array(video.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = toByte(video.data[i]);
  return bytes;
}

/** Inverse of videoToUint8 (up to its 1/255 quantisation). */
export function videoFromUint8(bytes: Uint8Array, shape: VideoShape): Video {
  const expected = shape.frames * shape.height * shape.width * 3;
  if (bytes.length !== expected) {
    throw new Error(
      `videoFromUint8: got ${bytes.length} bytes, but ${shape.frames}×${shape.height}×${shape.width}×3 needs ${expected}`,
    );
  }
  const video = emptyVideo(shape);
  for (let i = 0; i < bytes.length; i++) video.data[i] = bytes[i] / 127.5 - 1;
  return video;
}

/** Frame `f` as RGBA bytes (alpha 255), ready for `new ImageData(rgba, width, height)`. */
export function frameToRgba(video: Video, f: number): Uint8ClampedArray {
  if (f < 0 || f >= video.frames) throw new Error(`frameToRgba: frame ${f} is outside 0..${video.frames - 1}`);
  const pixels = video.height * video.width;
  const rgba = new Uint8ClampedArray(pixels * 4);
  const base = f * pixels * 3;
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p] = toByte(video.data[base + 3 * p]);
    rgba[4 * p + 1] = toByte(video.data[base + 3 * p + 1]);
    rgba[4 * p + 2] = toByte(video.data[base + 3 * p + 2]);
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

function toByte(x: number): number {
  const b = Math.round((x + 1) * 127.5);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}
