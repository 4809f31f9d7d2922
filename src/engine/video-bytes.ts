/**
 * The videos of a request as the page sends and stores them: RGB bytes by video id, decoded to
 * [-1, 1] floats on first read, and back to bytes for the videos an online round samples.
 */
import type { VideoStore } from '../prefs/pairs';
import type { Pair } from '../prefs/types';
import { videoFromUint8, videoToUint8, type VideoShape } from '../world/video';
import { messageOf, RequestError } from './errors';

/**
 * Videos sent as RGB bytes by id, turned into [-1, 1] floats when first read. A Map, because an
 * online round writes the videos it samples into its store. An entry is a whole video, or one
 * frame (a first-frame image).
 */
export class VideoBytesStore extends Map<string, Float32Array> implements VideoStore {
  constructor(private readonly bytes: Readonly<Record<string, Uint8Array>>, private readonly shape: VideoShape) {
    super();
  }

  override get(id: string): Float32Array | undefined {
    const decoded = super.get(id);
    if (decoded || !Object.hasOwn(this.bytes, id)) return decoded;
    const data = this.bytes[id];
    const frameBytes = this.shape.height * this.shape.width * 3;
    const frames = data.length === frameBytes ? 1 : this.shape.frames; // a first-frame image, or a video
    try {
      const video = videoFromUint8(data, { ...this.shape, frames }).data;
      super.set(id, video);
      return video;
    } catch (e) {
      throw new RequestError(`Video "${id}": ${messageOf(e)} (or ${frameBytes} for a first-frame image). It was made with another model; regenerate the pair.`);
    }
  }

  override has(id: string): boolean {
    return super.has(id) || Object.hasOwn(this.bytes, id);
  }
}

/** The RGB bytes of the pairs' videos in `store`, by video id (what the page stores). */
export function pairVideoBytes(pairs: readonly Pair[], store: VideoStore, shape: VideoShape): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const id of pairs.flatMap((p) => p.videoIds)) {
    const data = store.get(id);
    if (data) out[id] = videoToUint8({ ...shape, data });
  }
  return out;
}
