// The project as a whole: loading it from IndexedDB, and the Export tab's files — the cumulative
// LoRA, the VideoFolder dataset, single videos, backup and restore — plus Import LoRA. The
// formats live in src/export/; this slice only gathers the records and keeps the state right:
// a failed import or restore changes nothing.
import { backupProject, restoreProject, type ProjectSnapshot } from '../../export/backup';
import { encodeGif } from '../../export/gif';
import { importLora, loraExportZip } from '../../export/lora-zip';
import { readableFileStem } from '../../export/video';
import { loraModuleShapes } from '../../model/param-specs';
import { completedRounds } from '../../prefs/rounds';
import type { JobProgress } from './pairs-slice';
import type { StoredProject } from './persist';
import { uiSnapshot } from './ui-slice';
import type { SliceCreator } from './types';

export type VideoFormat = 'mp4' | 'gif';

export interface ProjectSlice {
  /** False until the stored project is loaded (the page shows nothing editable before). */
  hydrated: boolean;
  /** Transient: dataset export progress (videos encoded). */
  exportProgress: JobProgress | null;
  hydrate(project: StoredProject): void;
  snapshot(): ProjectSnapshot;
  backupProject(): void;
  /** Replace the project with a backup file's; resolves false (and alerts) when the file is refused. */
  restoreProject(file: { name: string; bytes: Uint8Array }): Promise<boolean>;
  exportLora(): void;
  /** Resolves false (and alerts, state unchanged) when the files are not a LoRA for this model. */
  importLora(files: { name: string; bytes: Uint8Array }[]): Promise<boolean>;
  exportDataset(): Promise<void>;
  exportVideo(videoId: string, format: VideoFormat): Promise<void>;
}

/** `2025-01-31T12-00-00`: a time stamp that is a valid file name everywhere. */
export function fileStamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace(/:/g, '-');
}

export const createProjectSlice: SliceCreator<ProjectSlice> = (deps) => (set, get) => {
  const modelConfig = () => {
    const info = get().engineInfo;
    if (!info) throw new Error('The model is still loading: wait until the header shows the backend, then try again.');
    return info.modelConfig;
  };
  const fail = (kind: 'model' | 'input' | 'internal', e: unknown) => get().pushAlert(kind, e instanceof Error ? e.message : String(e));

  return {
    hydrated: false,
    exportProgress: null,

    hydrate(project) {
      const compare = project.compare;
      set({
        pairs: project.pairs, judgments: project.judgments, unsavedJudgments: [], rounds: project.rounds, videos: project.videos, hydrated: true,
        compareSetup: compare?.setup ?? null,
        compareResults: Object.fromEntries((compare?.results ?? []).map((r) => [r.round, r])),
        blind: compare?.blind ?? null,
      });
      get().hydrateUi(project.ui);
      const unreadable = project.unreadable ?? [];
      if (unreadable.length > 0) {
        const listed = unreadable.slice(0, 5).map(({ key, problem }) => `"${key}": ${problem}`);
        if (unreadable.length > 5) listed.push(`…and ${unreadable.length - 5} more`);
        get().pushAlert('storage', `${unreadable.length} stored record${unreadable.length === 1 ? ' was' : 's were'} unreadable and left out of the project (they stay in the browser's storage): ${listed.join('; ')}. Everything else loaded. Use Backup project to keep what loaded, or restore an earlier backup.`, true);
      }
    },

    snapshot() {
      const { pairs, judgments, unsavedJudgments, rounds, videos, engineInfo } = get();
      const snapshot: ProjectSnapshot = {
        // A backup is what storage refused to keep: the unsaved judgments go in too.
        version: 1, modelName: deps.modelName, pairs, judgments: [...judgments, ...unsavedJudgments], rounds, videos,
        settings: uiSnapshot(get()) as unknown as Record<string, unknown>, createdAt: deps.now().toISOString(),
      };
      if (engineInfo) snapshot.videoShape = { frames: engineInfo.config.frames, height: engineInfo.config.height, width: engineInfo.config.width };
      return snapshot;
    },

    backupProject() {
      try {
        deps.save(backupProject(get().snapshot()), `vpo-studio-${deps.modelName}-backup-${fileStamp(deps.now())}.zip`, 'application/zip');
      } catch (e) {
        fail('input', e);
      }
    },

    async restoreProject(file) {
      // 1. everything checked (records, videos, round LoRAs against this model) before anything changes
      let project: ProjectSnapshot;
      try {
        project = await restoreProject(file.bytes, file.name, { moduleShapes: loraModuleShapes(modelConfig()) });
        if (project.modelName !== deps.modelName) {
          throw new Error(`${file.name}: this backup is of the "${project.modelName}" model, and this page runs "${deps.modelName}". Nothing was changed; open the studio with ?model=${project.modelName} to restore it.`);
        }
      } catch (e) {
        fail('input', e);
        return false;
      }
      // 2. stored in one transaction; when that fails the old project stays, stored and shown
      try {
        await deps.storage.replaceAll({ pairs: project.pairs, judgments: project.judgments, rounds: project.rounds, videos: project.videos, ui: project.settings }, file.name);
      } catch (e) {
        get().report(e);
        return false;
      }
      set({ criticHints: {}, critic: null });
      get().hydrate({ pairs: project.pairs, judgments: project.judgments, rounds: project.rounds, videos: project.videos, ui: project.settings ?? uiSnapshot(get()) });
      await get().syncPolicy();
      return true;
    },

    exportLora() {
      const loras = completedRounds(get().rounds).map((r) => r.lora!);
      if (loras.length === 0) {
        get().pushAlert('input', 'No completed round yet: run a round on the Train tab (or import a LoRA) before exporting.');
        return;
      }
      try {
        const zip = loraExportZip(loras, modelConfig(), { baseModelName: `vpo-studio/${deps.modelName}` });
        deps.save(zip, `vpo-studio-${deps.modelName}-lora-rounds-1-${loras.length}.zip`, 'application/zip');
      } catch (e) {
        fail('model', e);
      }
    },

    async importLora(files) {
      try {
        const lora = await importLora(files, modelConfig());
        await get().addImportedRound(lora, files.map((f) => f.name).join(', '));
        return true;
      } catch (e) {
        get().report(e);
        return false;
      }
    },

    async exportDataset() {
      if (get().exportProgress) return;
      set({ exportProgress: { requestId: null, done: 0, total: 1, startedAt: performance.now() } });
      try {
        // ffmpeg.wasm and the dataset writer load only when someone exports.
        const { buildDatasetZip } = await import('../../export/dataset');
        const zip = await buildDatasetZip(get().snapshot(), {
          onProgress: (done, total) => set({ exportProgress: { ...get().exportProgress!, done, total } }),
        });
        deps.save(zip, `vpo-studio-${deps.modelName}-dataset-${fileStamp(deps.now())}.zip`, 'application/zip');
      } catch (e) {
        fail('internal', e);
      } finally {
        set({ exportProgress: null });
      }
    },

    async exportVideo(videoId, format) {
      const bytes = get().videos[videoId];
      const info = get().engineInfo;
      if (!bytes || !info) return;
      const video = { frames: info.config.frames, height: info.config.height, width: info.config.width, data: bytes };
      const stem = readableFileStem(videoId);
      try {
        if (format === 'gif') {
          deps.save(encodeGif(video), `${stem}.gif`, 'image/gif');
        } else {
          const { encodeMp4 } = await import('../../export/mp4');
          deps.save(await encodeMp4(video), `${stem}.mp4`, 'video/mp4');
        }
      } catch (e) {
        fail('internal', e);
      }
    },
  };
};
