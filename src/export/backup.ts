// The whole project as one file and back: pairs, judgments, rounds (with their LoRAs), settings
// and every video, so a study survives a cleared browser or moves to another machine.
//
//   project.json       the snapshot without its videos (plain JSON, indented)
//   videos/<id>.rgb    each video's RGB bytes ([F, H, W, 3] uint8), the id file-name-safe
//                      (src/export/video.ts: videoFileStem)
//
// Restore checks everything before handing anything back, so a damaged backup never replaces a
// working project: the version, every record's fields, every pair's videos with the right byte
// length, judgments that point at pairs, round LoRAs that decode. The first problem is reported
// with the file name.
import { presetConfig } from '../model/presets';
import { decodeSnapshot } from '../prefs/lora-data';
import { DECISIONS, type Judgment, type Pair, type RoundRecord } from '../prefs/types';
import type { VideoShape } from '../world/video';
import { rgbByteLength, videoFileStem, videoIdFromStem } from './video';
import { createZip, readZip, ZipError, type ZipEntryInput } from './zip';

export const BACKUP_VERSION = 1;
export const PROJECT_FILE = 'project.json';
const VIDEO_DIR = 'videos/';
const VIDEO_EXT = '.rgb';

export interface ProjectSnapshot {
  version: 1;
  /** The model config the videos were sampled with (`small`, `tiny`, …). */
  modelName: string;
  pairs: Pair[];
  judgments: Judgment[];
  rounds: RoundRecord[];
  /** RGB bytes by video id ([F, H, W, 3] uint8; a first-frame image is [H, W, 3]). */
  videos: Record<string, Uint8Array>;
  settings?: Record<string, unknown>;
  /** ISO 8601: when the snapshot was taken. */
  createdAt: string;
  /** The videos' shape; needed when `modelName` is not a built-in config. */
  videoShape?: VideoShape;
}

export class BackupError extends Error {
  constructor(
    readonly fileName: string,
    readonly detail: string,
    readonly advice = 'Nothing was changed. Choose another backup, or export a new one from the studio that has the project.',
  ) {
    super(`${fileName}: ${detail}. ${advice}`);
    this.name = 'BackupError';
  }
}

/** Frames × height × width of the project's videos: its own field, else the named config's. */
export function projectVideoShape(project: Pick<ProjectSnapshot, 'modelName' | 'videoShape'>): VideoShape {
  if (project.videoShape) return project.videoShape;
  const { frames, height, width } = presetConfig(project.modelName); // names the known configs
  return { frames, height, width };
}

/** One zip: project.json + videos/<id>.rgb. */
export function backupProject(project: ProjectSnapshot, opts: { modified?: Date } = {}): Uint8Array {
  const { videos, ...records } = project;
  const files: ZipEntryInput[] = [{ name: PROJECT_FILE, data: `${JSON.stringify(records, null, 2)}\n` }];
  for (const [id, data] of Object.entries(videos)) files.push({ name: `${VIDEO_DIR}${videoFileStem(id)}${VIDEO_EXT}`, data });
  return createZip(files, opts);
}

// ---------------------------------------------------------------------------------------------
// Restore

type Check = (condition: unknown, detail: string) => asserts condition;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIndex = (v: unknown) => v === 0 || v === 1;

function checkPair(p: unknown, i: number, check: Check): asserts p is Pair {
  const where = `pair ${i + 1}`;
  check(isObject(p), `${where} is not an object`);
  check(isString(p.id) && p.id.length > 0, `${where} has no id`);
  check(isString(p.prompt), `pair "${p.id}" has no prompt`);
  check(Array.isArray(p.seeds) && p.seeds.length === 2 && p.seeds.every(isNumber), `pair "${p.id}" needs two numeric seeds`);
  check(Array.isArray(p.videoIds) && p.videoIds.length === 2 && p.videoIds.every(isString), `pair "${p.id}" needs two video ids`);
  check(isNumber(p.round), `pair "${p.id}" has no round`);
  check(p.firstFrame === null || (isObject(p.firstFrame) && (p.firstFrame.kind === 'rendered' || (p.firstFrame.kind === 'image' && isString(p.firstFrame.id)))), `pair "${p.id}" has an unreadable firstFrame`);
}

function checkJudgment(j: unknown, i: number, pairIds: Set<string>, check: Check): asserts j is Judgment {
  const where = `judgment ${i + 1}`;
  check(isObject(j), `${where} is not an object`);
  check(isString(j.id), `${where} has no id`);
  check(isString(j.pairId) && pairIds.has(j.pairId), `judgment "${j.id}" refers to pair ${JSON.stringify(j.pairId)}, which is not in the backup`);
  check(isString(j.annotator) && isString(j.createdAt) && isNumber(j.round), `judgment "${j.id}" lacks its annotator, createdAt or round`);
  if (j.kind === 'pairwise') {
    check(DECISIONS.includes(j.decision as never), `judgment "${j.id}" has decision ${JSON.stringify(j.decision)} (expected one of ${DECISIONS.join(', ')})`);
    check(isIndex(j.leftWas), `judgment "${j.id}" has leftWas ${JSON.stringify(j.leftWas)} (expected 0 or 1)`);
  } else {
    check(j.kind === 'pointwise' && isIndex(j.video) && typeof j.desirable === 'boolean', `judgment "${j.id}" is neither a valid pairwise nor a pointwise judgment`);
  }
}

function checkRound(r: unknown, i: number, check: Check): asserts r is RoundRecord {
  check(isObject(r) && isNumber(r.index) && isString(r.status) && isObject(r.hyper) && Array.isArray(r.metrics) && Array.isArray(r.judgmentIds), `round record ${i + 1} is incomplete`);
  if (r.lora === null) return;
  check(isObject(r.lora) && isNumber(r.lora.rank) && isNumber(r.lora.alpha) && isObject(r.lora.modules), `round ${r.index}'s LoRA is incomplete`);
  try {
    decodeSnapshot(r.lora as never);
  } catch (e) {
    check(false, `round ${r.index}'s LoRA is corrupt (${(e as Error).message})`);
  }
}

/**
 * The project in a backup made by backupProject, fully checked. Throws BackupError naming the file
 * and its first problem; nothing is returned unless everything is whole.
 */
export async function restoreProject(bytes: Uint8Array, fileName: string): Promise<ProjectSnapshot> {
  const check: Check = (condition, detail) => {
    if (!condition) throw new BackupError(fileName, detail);
  };

  // 1. the zip, and its root (a backup re-zipped inside one folder still restores)
  let entries: Map<string, Uint8Array>;
  try {
    entries = await readZip(bytes, fileName);
  } catch (e) {
    if (e instanceof ZipError) throw new BackupError(fileName, e.detail);
    throw e;
  }
  const projectPath = [...entries.keys()].filter((k) => k === PROJECT_FILE || k.endsWith(`/${PROJECT_FILE}`)).sort((a, b) => a.length - b.length)[0];
  check(projectPath !== undefined, `is not a vpo-studio backup (no ${PROJECT_FILE} inside)`);
  const root = projectPath.slice(0, -PROJECT_FILE.length);

  // 2. project.json
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entries.get(projectPath)));
  } catch (e) {
    check(false, `${PROJECT_FILE} is not valid JSON (${(e as Error).message})`);
  }
  check(isObject(raw), `${PROJECT_FILE} is not a JSON object`);
  if (raw.version !== BACKUP_VERSION) {
    check(!(isNumber(raw.version) && raw.version > BACKUP_VERSION), `was written by a newer vpo-studio (backup version ${raw.version}; this one reads ${BACKUP_VERSION})`);
    check(false, `${PROJECT_FILE} has version ${JSON.stringify(raw.version)}, expected ${BACKUP_VERSION}`);
  }
  check(isString(raw.modelName) && raw.modelName.length > 0, `${PROJECT_FILE} has no modelName`);
  check(isString(raw.createdAt), `${PROJECT_FILE} has no createdAt`);
  check(Array.isArray(raw.pairs) && Array.isArray(raw.judgments) && Array.isArray(raw.rounds), `${PROJECT_FILE} lacks its pairs, judgments or rounds`);
  check(raw.settings === undefined || isObject(raw.settings), `${PROJECT_FILE}: settings is not an object`);
  check(raw.videoShape === undefined || (isObject(raw.videoShape) && ['frames', 'height', 'width'].every((k) => Number.isInteger((raw as { videoShape: Record<string, unknown> }).videoShape[k]))), `${PROJECT_FILE}: videoShape is not {frames, height, width}`);

  // 3. records
  const pairIds = new Set<string>();
  raw.pairs.forEach((p, i) => {
    checkPair(p, i, check);
    check(!pairIds.has(p.id), `two pairs share the id "${p.id}"`);
    pairIds.add(p.id);
  });
  raw.judgments.forEach((j, i) => checkJudgment(j, i, pairIds, check));
  raw.rounds.forEach((r, i) => checkRound(r, i, check));

  // 4. videos: every pair's two videos (and first-frame image) present, each the right size
  const videos: Record<string, Uint8Array> = {};
  const videoPrefix = `${root}${VIDEO_DIR}`;
  for (const [path, data] of entries) {
    if (path.startsWith(videoPrefix) && path.endsWith(VIDEO_EXT)) videos[videoIdFromStem(path.slice(videoPrefix.length, -VIDEO_EXT.length))] = data;
  }
  let shape: VideoShape;
  try {
    shape = projectVideoShape(raw as Pick<ProjectSnapshot, 'modelName' | 'videoShape'>);
  } catch (e) {
    check(false, `the videos' shape is unknown: ${(e as Error).message}`);
  }
  const videoBytes = rgbByteLength(shape);
  for (const p of raw.pairs as Pair[]) {
    p.videoIds.forEach((id, k) => {
      const data = videos[id];
      check(data !== undefined, `pair "${p.id}": video ${k} ("${id}") is missing from ${VIDEO_DIR}`);
      check(data.length === videoBytes, `pair "${p.id}": video "${id}" has ${data.length} bytes, but a ${shape.frames}×${shape.height}×${shape.width} RGB video has ${videoBytes}`);
    });
    if (p.firstFrame?.kind === 'image') {
      const image = videos[p.firstFrame.id];
      const frameBytes = shape.height * shape.width * 3;
      check(image !== undefined && image.length === frameBytes, `pair "${p.id}": its first-frame image "${p.firstFrame.id}" is ${image ? `${image.length} bytes, not ${frameBytes}` : 'missing'}`);
    }
  }
  return { ...(raw as unknown as Omit<ProjectSnapshot, 'videos'>), videos };
}
