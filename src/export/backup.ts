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
import type { ModuleShapes } from '../io/lora';
import { checkJudgment, checkPair, checkRound, isNumber, isObject, isString, type Check } from '../prefs/check-records';
import type { Judgment, Pair, RoundRecord } from '../prefs/types';
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

const isPositiveInteger = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 4096;

export interface RestoreOptions {
  /** This model's Linear modules: every round LoRA must fit them (checked when given). */
  moduleShapes?: ModuleShapes;
  /** Cap on the unpacked archive (default: readZip's, sized for the largest real backup). */
  maxTotalBytes?: number;
}

/**
 * The project in a backup made by backupProject, fully checked. Throws BackupError naming the file
 * and its first problem; nothing is returned unless everything is whole.
 */
export async function restoreProject(bytes: Uint8Array, fileName: string, opts: RestoreOptions = {}): Promise<ProjectSnapshot> {
  const check: Check = (condition, detail) => {
    if (!condition) throw new BackupError(fileName, detail);
  };

  // 1. the zip, and its root (a backup re-zipped inside one folder still restores)
  let entries: Map<string, Uint8Array>;
  try {
    entries = await readZip(bytes, fileName, { maxTotalBytes: opts.maxTotalBytes });
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
  check(raw.videoShape === undefined || (isObject(raw.videoShape) && ['frames', 'height', 'width'].every((k) => isPositiveInteger((raw as { videoShape: Record<string, unknown> }).videoShape[k]))), `${PROJECT_FILE}: videoShape is not {frames, height, width} of positive integers`);

  // 3. records: each whole, ids and round indexes unique (a reload keys them by id and index,
  //    so a repeat would silently merge two records into one), round LoRAs fit this model
  const firstSeen = new Map<string, number>();
  const unique = (kind: string, key: string, i: number) => {
    const earlier = firstSeen.get(`${kind}\0${key}`);
    check(earlier === undefined, `two ${kind}s share the ${kind === 'round record' ? 'index' : 'id'} ${JSON.stringify(key)} (${kind}s ${earlier! + 1} and ${i + 1}); each must be unique`);
    firstSeen.set(`${kind}\0${key}`, i);
  };
  const pairIds = new Set<string>();
  raw.pairs.forEach((p, i) => {
    checkPair(p, `pair ${i + 1}`, check);
    unique('pair', p.id, i);
    pairIds.add(p.id);
  });
  raw.judgments.forEach((j, i) => {
    checkJudgment(j, `judgment ${i + 1}`, pairIds, check, 'in the backup');
    unique('judgment', j.id, i);
  });
  raw.rounds.forEach((r, i) => {
    checkRound(r, `round record ${i + 1}`, check, opts.moduleShapes);
    unique('round record', String(r.index), i);
  });

  // 4. videos: names decoded (a stray "%" is an error naming the entry, not a bare URIError),
  //    every pair's two videos (and first-frame image) present, each the right size
  const videoById = new Map<string, Uint8Array>();
  const videoPrefix = `${root}${VIDEO_DIR}`;
  for (const [path, data] of entries) {
    if (!path.startsWith(videoPrefix) || !path.endsWith(VIDEO_EXT)) continue;
    let id: string;
    try {
      id = videoIdFromStem(path.slice(videoPrefix.length, -VIDEO_EXT.length));
    } catch {
      check(false, `entry "${path}" is not a video name vpo-studio writes (its %-escapes do not decode)`);
    }
    check(!videoById.has(id), `entry "${path}" names video "${id}" a second time`);
    videoById.set(id, data);
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
      const data = videoById.get(id);
      check(data !== undefined, `pair "${p.id}": video ${k} ("${id}") is missing from ${VIDEO_DIR}`);
      check(data.length === videoBytes, `pair "${p.id}": video "${id}" has ${data.length} bytes, but a ${shape.frames}×${shape.height}×${shape.width} RGB video has ${videoBytes}`);
    });
    if (p.firstFrame?.kind === 'image') {
      const image = videoById.get(p.firstFrame.id);
      const frameBytes = shape.height * shape.width * 3;
      check(image !== undefined && image.length === frameBytes, `pair "${p.id}": its first-frame image "${p.firstFrame.id}" is ${image ? `${image.length} bytes, not ${frameBytes}` : 'missing'}`);
    }
  }
  return { ...(raw as unknown as Omit<ProjectSnapshot, 'videos'>), videos: Object.fromEntries(videoById) };
}
