// Controlled damage to videos: stand-ins for a generator's failure modes (blur, noise, broken
// temporal order, colour shifts), used to test that detectors and metrics rank them correctly
// and to build known-bad examples for preference tests and benchmarks. Each returns a new video.
import { makeRng, randNormal } from './rng';
import { emptyVideo, type Video } from './video';

/** Independent Gaussian noise of std `std` (in [-1,1] pixel units) on every value; not clamped. */
export function addNoise(video: Video, std: number, seed: number): Video {
  const rng = makeRng(seed);
  const out = emptyVideo(video);
  for (let i = 0; i < out.data.length; i++) out.data[i] = video.data[i] + randNormal(rng, 0, std);
  return out;
}

/** Per-frame (2·radius+1)² box blur; the window shrinks at the borders instead of padding. */
export function boxBlur(video: Video, radius = 1): Video {
  const { frames, height, width } = video;
  const out = emptyVideo(video);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sum = [0, 0, 0];
        let count = 0;
        for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++) {
          for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx++) {
            const i = ((f * height + yy) * width + xx) * 3;
            for (let c = 0; c < 3; c++) sum[c] += video.data[i + c];
            count++;
          }
        }
        const o = ((f * height + y) * width + x) * 3;
        for (let c = 0; c < 3; c++) out.data[o + c] = sum[c] / count;
      }
    }
  }
  return out;
}

/** Frames reordered: output frame i is input frame order[i]. */
export function reorderFrames(video: Video, order: readonly number[]): Video {
  if (order.length !== video.frames) {
    throw new Error(`reorderFrames: got ${order.length} indices for ${video.frames} frames`);
  }
  const frameSize = video.height * video.width * 3;
  const out = emptyVideo(video);
  order.forEach((source, target) => {
    out.data.set(video.data.subarray(source * frameSize, (source + 1) * frameSize), target * frameSize);
  });
  return out;
}

/** Every pixel's RGB (in [0,1] terms) shifted by `delta`: a generator's slight colour cast. */
export function shiftColour(video: Video, delta: readonly [number, number, number]): Video {
  const out = emptyVideo(video);
  for (let i = 0; i < out.data.length; i++) out.data[i] = video.data[i] + 2 * delta[i % 3];
  return out;
}
