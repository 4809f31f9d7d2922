// The base model's samples for bench:loop, kept on disk between runs: what the base samples for
// a request is the same in every run with the same weights and sampler, so a sweep over round
// settings (or tastes) pays for the held-out videos, the labelled held-out pairs, the first
// round's pairs and the critic's warm-up pairs once.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { samplePairVideos } from '../../../src/engine/sample-pairs';
import type { ModelConfig } from '../../../src/model/config';
import type { Params } from '../../../src/model/params';
import type { Pair } from '../../../src/prefs/types';

export class BaseSampleCache {
  /**
   * `dir`: where to keep them ('' for no cache); `digest`: identity of the base weights ('' for
   * an untrained model, never cached).
   */
  constructor(private readonly dir: string, private readonly digest: string) {}

  /** Videos of the base model; `request` must name everything they depend on besides the weights. */
  async videos(request: unknown, make: () => Promise<Float32Array[]>): Promise<Float32Array[]> {
    if (!this.dir || !this.digest) return make();
    const key = createHash('sha256').update(this.digest).update(JSON.stringify(request)).digest('hex').slice(0, 32);
    const file = path.join(this.dir, `${key}.bin`);
    if (fs.existsSync(file)) return readVideos(fs.readFileSync(file));
    const videos = await make();
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(file, writeVideos(videos));
    return videos;
  }

  /** samplePairVideos for the base model, through the cache; fills `store` either way. */
  async pairVideos(config: ModelConfig, params: Params, pairs: Pair[], store: Map<string, Float32Array>): Promise<void> {
    const request = { what: 'pairs', pairs: pairs.map((p) => [p.prompt, p.seeds, p.sampler.steps, p.sampler.guidance, p.firstFrame, ...(p.sampler.solver ? [p.sampler.solver] : [])]) };
    const videos = await this.videos(request, async () => {
      const own = new Map<string, Float32Array>();
      await samplePairVideos(config, params, pairs, own);
      return pairs.flatMap((p) => p.videoIds.map((id) => own.get(id)!));
    });
    pairs.forEach((p, i) => p.videoIds.forEach((id, v) => store.set(id, videos[2 * i + v])));
  }
}

/** [count: u32 LE][count equal-length float32 videos]. */
function writeVideos(videos: readonly Float32Array[]): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(videos.length);
  const body = new Float32Array(videos.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of videos) {
    body.set(v, at);
    at += v.length;
  }
  return Buffer.concat([header, Buffer.from(body.buffer)]);
}

function readVideos(raw: Buffer): Float32Array[] {
  const count = raw.readUInt32LE(0);
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset + 4, raw.byteOffset + raw.byteLength));
  const per = all.length / count;
  return Array.from({ length: count }, (_, i) => all.slice(i * per, (i + 1) * per));
}
