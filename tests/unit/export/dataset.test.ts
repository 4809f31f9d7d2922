import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectSnapshot } from '../../../src/export/backup';
import { buildDatasetZip, datasetRows } from '../../../src/export/dataset';
import { fileStemAllocator, type RgbVideo } from '../../../src/export/video';
import { readZip } from '../../../src/export/zip';
import { pairwiseJudgment, planPairs, pointwiseJudgment } from '../../../src/prefs/pairs';
import type { Decision, Judgment, VideoIndex } from '../../../src/prefs/types';

const DESIGN_FIELDS = [
  'prompt', 'video_0_file_name', 'video_1_file_name', 'label_0', 'label_1', 'decision', 'annotator_id', 'round',
  'seed_0', 'seed_1', 'left_was', 'response_ms', 'created_at', 'num_frames', 'fps', 'width', 'height',
];

const pairs = planPairs({ prompts: ['a red circle moves left', 'a blue square moves up', 'a green triangle grows'], pairsPerPrompt: 2, round: 0, seed: 4, sampler: { steps: 24, guidance: 2 }, now: '2025-01-01T00:00:00.000Z' });
let clock = 0;
const judge = (pairIndex: number, decision: Decision, leftWas: VideoIndex, annotator = 'ada'): Judgment =>
  pairwiseJudgment({ id: `j${clock}`, pair: pairs[pairIndex], annotator, annotatorKind: 'human', round: 1, decision, leftWas, responseMs: 1000 + clock, now: new Date(Date.UTC(2025, 0, 2, 0, 0, clock++)).toISOString() });

// The labels each case must give, in seed order.
const judgments: Judgment[] = [
  judge(0, 'left', 0), // video 0 shown left and chosen → 1, 0
  judge(1, 'left', 1), // video 1 shown left and chosen → 0, 1
  judge(2, 'right', 0), // right = video 1 → 0, 1
  judge(3, 'tie', 1), // → 0.5, 0.5
  judge(4, 'both-bad', 0), // → 0, 0
  judge(5, 'skip', 0), // not exported
  judge(0, 'right', 1, 'bob'), // another annotator on pair 0: its own row (right = video 0) → 1, 0
  judge(2, 'skip', 1, 'carol'), // skip: no row
  judge(4, 'left', 0, 'dan'), // dan first says left …
  judge(4, 'skip', 0, 'dan'), // … then changes his mind to skip: the latest counts, no row
  pointwiseJudgment({ id: 'thumb', pair: pairs[1], annotator: 'ada', annotatorKind: 'human', round: 1, video: 0, desirable: true, now: '2025-01-03T00:00:00.000Z' }),
];
const shape = { frames: 4, height: 16, width: 16 };
const fileName = (id: string) => `videos/${id}.mp4`;

describe('datasetRows (docs/architecture.md §7)', () => {
  const rows = datasetRows(pairs, judgments, { fps: 8, videoFileName: fileName, shape: { frames: 4, height: 64, width: 64 } });

  it('one row per latest pairwise judgment that is not a skip, in the DESIGN field order', () => {
    expect(rows.length).toBe(6);
    for (const row of rows) expect(Object.keys(row)).toEqual(DESIGN_FIELDS);
  });
  it('labels in seed order: left/right undone through left_was, tie 0.5/0.5, both-bad 0/0', () => {
    expect(rows.map((r) => [r.decision, r.left_was, r.label_0, r.label_1])).toEqual([
      ['left', 0, 1, 0],
      ['left', 1, 0, 1],
      ['right', 0, 0, 1],
      ['tie', 1, 0.5, 0.5],
      ['both-bad', 0, 0, 0],
      ['right', 1, 1, 0],
    ]);
  });
  it('carries the pair’s prompt, seeds and files, the judgment’s annotator, round, time, and the video format', () => {
    const row = rows[1];
    expect(row).toEqual({
      prompt: pairs[1].prompt,
      video_0_file_name: `videos/${pairs[1].videoIds[0]}.mp4`,
      video_1_file_name: `videos/${pairs[1].videoIds[1]}.mp4`,
      label_0: 0, label_1: 1, decision: 'left', annotator_id: 'ada', round: 1,
      seed_0: pairs[1].seeds[0], seed_1: pairs[1].seeds[1], left_was: 1,
      response_ms: 1001, created_at: '2025-01-02T00:00:01.000Z',
      num_frames: 4, fps: 8, width: 64, height: 64,
    });
    expect(rows[5].annotator_id).toBe('bob');
  });
  it('a judgment whose pair is missing is an error naming both', () => {
    expect(() => datasetRows(pairs.slice(1), judgments, { fps: 8, videoFileName: fileName, shape })).toThrow(/judgment "j0" refers to pair "r0-p0", which is not in the project/);
  });
});

/** A project with RGB videos for every pair (pair i, video k filled with 10·i + k). */
function project(): ProjectSnapshot {
  const videos: Record<string, Uint8Array> = {};
  pairs.forEach((p, i) => p.videoIds.forEach((id, k) => (videos[id] = new Uint8Array(4 * 16 * 16 * 3).fill(10 * i + k))));
  return { version: 1, modelName: 'tiny', pairs, judgments, rounds: [], videos, createdAt: '2025-01-04T00:00:00.000Z' };
}

/** A stand-in encoder: an `ftyp` box, then the first pixel value and the shape it was given. */
async function fakeEncode(video: RgbVideo, opts: { fps: number; scale: number }): Promise<Uint8Array> {
  const head = [0, 0, 0, 16, ...new TextEncoder().encode('ftypisom')];
  return Uint8Array.from([...head, video.data[0], video.frames, video.height, video.width, opts.fps, opts.scale]);
}

describe('buildDatasetZip', () => {
  it('metadata.jsonl + README.md + one MP4 per video the rows use, each encoded once', async () => {
    const progress: [number, number][] = [];
    const zip = await buildDatasetZip(project(), { encode: fakeEncode, onProgress: (done, total) => progress.push([done, total]) });
    const files = await readZip(zip, 'dataset.zip');
    const rows = new TextDecoder().decode(files.get('metadata.jsonl')).trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(rows.length).toBe(6);
    // tiny videos (4×16×16) at the default scale 4 and 8 fps
    expect(rows[0]).toMatchObject({ num_frames: 4, width: 64, height: 64, fps: 8 });
    // pair 5 (only skipped) has no row, so its videos are not exported
    const videos = [...files.keys()].filter((k) => k.startsWith('videos/')).sort();
    const used = [0, 1, 2, 3, 4].flatMap((i) => pairs[i].videoIds);
    expect(videos).toEqual(used.map((id) => `videos/${id.replace(':', '_')}.mp4`).sort());
    expect(progress[0]).toEqual([0, 10]);
    expect(progress.at(-1)).toEqual([10, 10]);
    for (const row of rows) for (const column of ['video_0_file_name', 'video_1_file_name']) expect(files.has(row[column])).toBe(true);
    // each file holds the encoding of its own video, at the source shape, fps and scale
    const [i, k] = [3, 1];
    const mp4 = files.get(`videos/${pairs[i].videoIds[k].replace(':', '_')}.mp4`)!;
    expect([...mp4.subarray(12)]).toEqual([10 * i + k, 4, 16, 16, 8, 4]);
    const readme = new TextDecoder().decode(files.get('README.md'));
    expect(readme).toContain('load_dataset("videofolder"');
    expect(readme).toContain('6 pairwise judgments');
  });

  it('fails before encoding anything when a video is missing or has the wrong size', async () => {
    let encoded = 0;
    const counting = async (v: RgbVideo, o: { fps: number; scale: number }) => (encoded++, fakeEncode(v, o));
    const missing = project();
    delete missing.videos[pairs[2].videoIds[1]];
    await expect(buildDatasetZip(missing, { encode: counting })).rejects.toThrow(/video "r0-p2:1" is not in the project/);
    const short = project();
    short.videos[pairs[0].videoIds[0]] = new Uint8Array(5);
    await expect(buildDatasetZip(short, { encode: counting })).rejects.toThrow(/video "r0-p0:0": got 5 bytes, but 4×16×16×3 RGB needs 3072 bytes/);
    expect(encoded).toBe(0);
  });

  it('says so when there is nothing to export', async () => {
    await expect(buildDatasetZip({ ...project(), judgments: [judge(0, 'skip', 0)] }, { encode: fakeEncode })).rejects.toThrow(/no pairwise judgments yet/);
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!python)('scripts/check_exports.py (Python zipfile) accepts it: fields, labels, files present', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpo-dataset-'));
    writeFileSync(join(dir, 'dataset.zip'), await buildDatasetZip(project(), { encode: fakeEncode }));
    const run = spawnSync('python3', ['scripts/check_exports.py', 'dataset', join(dir, 'dataset.zip')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ kind: 'dataset', rows: 6, videos: 10 });
  });
});

describe('dataset file names', () => {
  it('are readable and distinct even when two ids sanitise alike', () => {
    const files = fileStemAllocator();
    expect(['r0-p0:0', 'r0-p0_0', 'r0-p0:0', '../x', 'é/ü'].map(files.stem)).toEqual(['r0-p0_0', 'r0-p0_0-2', 'r0-p0_0', '_._x', '___']);
    expect(files.ids()).toEqual(['r0-p0:0', 'r0-p0_0', '../x', 'é/ü']);
  });
});
