// The preference data as a Hugging Face VideoFolder dataset (docs/architecture.md §7):
//
//   metadata.jsonl     one row per judgment in force (latest per pair and annotator), pairwise,
//                      not a skip; `video_0_file_name` / `video_1_file_name` become the Video
//                      columns `video_0` / `video_1` when loaded (datasets resolves every
//                      `*_file_name` column relative to the metadata file)
//   videos/<id>.mp4    each video that a row uses, H.264 (ffmpeg.wasm; src/export/mp4.ts)
//   README.md          the columns and how to load them
//
// Labels are per video in seed order (pairLabels in src/prefs/judgments.ts): the better video 1
// and the other 0 (left/right undone through `left_was`), a tie 0.5/0.5, both bad 0/0.
import { latestJudgments, pairLabels } from '../prefs/judgments';
import type { Decision, Judgment, Pair, PairwiseJudgment, VideoIndex } from '../prefs/types';
import type { VideoShape } from '../world/video';
import { projectVideoShape, type ProjectSnapshot } from './backup';
import { checkRgbVideo, DEFAULT_FPS, DEFAULT_SCALE, fileStemAllocator, positiveIntegerOption, positiveOption, scaledShape, type RgbVideo } from './video';
import { createZip, type ZipEntryInput } from './zip';

export const METADATA_FILE = 'metadata.jsonl';

/** One row of metadata.jsonl; the fields and their order are docs/architecture.md §7's. */
export interface DatasetRow {
  prompt: string;
  video_0_file_name: string;
  video_1_file_name: string;
  /** 1 better, 0 worse; 0.5 each for a tie; 0 each when both are bad. */
  label_0: number;
  label_1: number;
  /** The decision as made on screen (left/right refer to the sides shown; see left_was). */
  decision: Exclude<Decision, 'skip'>;
  annotator_id: string;
  /** The preference round the judgment was collected for (the round it trains). */
  round: number;
  seed_0: number;
  seed_1: number;
  /** Which video (0 or 1) was shown on the left. */
  left_was: VideoIndex;
  response_ms: number;
  created_at: string;
  /** Of the video files. */
  num_frames: number;
  fps: number;
  width: number;
  height: number;
}

export interface DatasetRowOptions {
  fps: number;
  /** Path of a video's file relative to metadata.jsonl, e.g. `videos/r0-p0_0.mp4`. */
  videoFileName: (videoId: string) => string;
  /** Frames, height and width of the video files (after any scaling). */
  shape: VideoShape;
}

/**
 * The dataset's rows: the latest pairwise judgment per pair and annotator, skips left out, in
 * the order the judgments were made. A judgment whose pair is missing is an error (the project
 * is inconsistent; exporting it would drop data silently).
 */
export function datasetRows(pairs: Pair[], judgments: Judgment[], opts: DatasetRowOptions): DatasetRow[] {
  const byId = new Map(pairs.map((p) => [p.id, p]));
  const rows: DatasetRow[] = [];
  for (const j of latestJudgments(judgments)) {
    if (j.kind !== 'pairwise') continue;
    const labels = pairLabels(j);
    if (labels === null) continue; // a skip says nothing
    const pair = byId.get(j.pairId);
    if (!pair) throw new Error(`Dataset export: judgment "${j.id}" refers to pair "${j.pairId}", which is not in the project. Restore the pair from a backup or delete the judgment.`);
    rows.push({
      prompt: pair.prompt,
      video_0_file_name: opts.videoFileName(pair.videoIds[0]),
      video_1_file_name: opts.videoFileName(pair.videoIds[1]),
      label_0: labels[0],
      label_1: labels[1],
      decision: (j as PairwiseJudgment).decision as DatasetRow['decision'],
      annotator_id: j.annotator,
      round: j.round,
      seed_0: pair.seeds[0],
      seed_1: pair.seeds[1],
      left_was: j.leftWas,
      response_ms: j.responseMs,
      created_at: j.createdAt,
      num_frames: opts.shape.frames,
      fps: opts.fps,
      width: opts.shape.width,
      height: opts.shape.height,
    });
  }
  return rows;
}

export interface DatasetZipOptions {
  /** Frame rate of the MP4s (default 8). */
  fps?: number;
  /** Nearest-neighbour magnification (default 4). */
  scale?: number;
  /** Video encoder (default: encodeMp4, ffmpeg.wasm; tests pass their own). */
  encode?: (video: RgbVideo, opts: { fps: number; scale: number }) => Promise<Uint8Array>;
  /** Videos encoded so far out of those the rows use. */
  onProgress?: (done: number, total: number) => void;
  /** Time stamp of the zip entries (default now). */
  modified?: Date;
}

/** metadata.jsonl + videos/<id>.mp4 + README.md, as one zip. */
export async function buildDatasetZip(project: ProjectSnapshot, opts: DatasetZipOptions = {}): Promise<Uint8Array> {
  const fps = positiveOption(opts.fps, DEFAULT_FPS, 'Dataset export: fps');
  const scale = positiveIntegerOption(opts.scale, DEFAULT_SCALE, 'Dataset export: scale');
  const shape = projectVideoShape(project);
  // The videos the rows use get readable distinct file names, in first-use order.
  const files = fileStemAllocator();
  const fileName = (id: string) => `videos/${files.stem(id)}.mp4`;

  // 1. rows (even sides: H.264 yuv420p, as encodeMp4 pads them)
  const rows = datasetRows(project.pairs, project.judgments, { fps, videoFileName: fileName, shape: scaledShape(shape, scale, true) });
  if (rows.length === 0) throw new Error('Dataset export: there are no pairwise judgments yet (skips do not count). Rank some pairs first.');

  // 2. every video a row uses, once, checked before any encoding starts
  const ids = files.ids();
  const videos = ids.map((id) => {
    const data = project.videos[id];
    if (!data) throw new Error(`Dataset export: video "${id}" is not in the project. Regenerate its pair, or restore the project from a backup.`);
    const video: RgbVideo = { ...shape, data };
    checkRgbVideo(video, `Dataset export: video "${id}"`);
    return video;
  });

  // 3. encode (lazily loads ffmpeg.wasm unless an encoder is given)
  const encode = opts.encode ?? (await import('./mp4')).encodeMp4;
  const entries: ZipEntryInput[] = [
    { name: 'README.md', data: datasetReadme(project, rows, fps) },
    { name: METADATA_FILE, data: rows.map((r) => JSON.stringify(r)).join('\n') + '\n' },
  ];
  opts.onProgress?.(0, ids.length);
  for (let i = 0; i < ids.length; i++) {
    entries.push({ name: fileName(ids[i]), data: await encode(videos[i], { fps, scale }) });
    opts.onProgress?.(i + 1, ids.length);
  }
  return createZip(entries, { modified: opts.modified });
}

function datasetReadme(project: ProjectSnapshot, rows: DatasetRow[], fps: number): string {
  const count = (d: DatasetRow['decision']) => rows.filter((r) => r.decision === d).length;
  const annotators = new Set(rows.map((r) => r.annotator_id)).size;
  const { width, height, num_frames } = rows[0];
  return `# vpo-studio preference dataset

${rows.length} pairwise judgments (${count('left') + count('right')} wins, ${count('tie')} ties, ${count('both-bad')} both bad) by
${annotators} annotator${annotators === 1 ? '' : 's'} on videos from the \`${project.modelName}\` model: ${num_frames} frames, ${width}×${height},
${fps} fps, H.264. A Hugging Face VideoFolder: \`${METADATA_FILE}\` has one row per judgment and
names the two videos of the pair relative to itself.

\`\`\`python
from datasets import load_dataset

ds = load_dataset("videofolder", data_dir="vpo-dataset", split="train")
row = ds[0]   # row["video_0"], row["video_1"]: the videos; row["label_0"], row["label_1"], …
\`\`\`

(Decoding the Video columns needs a video backend for \`datasets\`, e.g. \`torchcodec\`; the
metadata alone loads with \`load_dataset("json", data_files="vpo-dataset/${METADATA_FILE}")\`.)

| column | meaning |
|---|---|
| \`prompt\` | the prompt both videos were sampled for |
| \`video_0_file_name\`, \`video_1_file_name\` | the two videos, in seed order (\`seed_0\`, \`seed_1\`) |
| \`label_0\`, \`label_1\` | 1 for the better video and 0 for the other; 0.5 / 0.5 for a tie; 0 / 0 when both are bad |
| \`decision\` | as made on screen: \`left\`, \`right\`, \`tie\`, \`both-bad\` (skips are not exported) |
| \`left_was\` | which video (0 or 1) was shown on the left, so \`left\` means video \`left_was\` won |
| \`annotator_id\` | who judged (a person's name, \`critic\`, or \`simulated\`) |
| \`round\` | the preference round the judgment was collected for |
| \`response_ms\`, \`created_at\` | time to decide, and when (ISO 8601) |
| \`num_frames\`, \`fps\`, \`width\`, \`height\` | of the video files |

For Diffusion-DPO take the rows with \`label_0 != label_1\`: the chosen video is the one labelled 1.
`;
}
