// What the page looks like and what its forms hold: the tab, the Generate / Train / Compare
// settings, the annotator's name, the Rank tab's mode and player. All of it survives a reload
// (written to IndexedDB on change); only the help overlay's state does not.
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, DEFAULT_SAMPLER, type SamplerName } from '../../diffusion/sampler-defaults';
import type { RankMode } from '../lib/rank-queue';
import { defaultTrainForm, type TrainForm } from '../lib/train-form';
import type { SliceCreator } from './types';
import { PLAYER_SIZES } from '../lib/player';

export const TABS = ['Generate', 'Rank', 'Train', 'Compare', 'Export'] as const;
export type TabName = (typeof TABS)[number];

export type FirstFrameMode = 'none' | 'rendered' | 'image';

export interface GenerateForm {
  promptsText: string;
  pairsPerPrompt: number;
  steps: number;
  guidance: number;
  /** The ODE solver of Generate and Compare (docs/round-cost.md §2: dpm++2m at 16 steps, 1.5× fewer model evaluations than Euler at 24, 3 % more flicker). */
  solver: SamplerName;
  firstFrameMode: FirstFrameMode;
  /** Rendered mode: the world seed of frame 0 ('' = a different one per pair). */
  firstFrameSeed: string;
}

export interface PlayerSettings {
  /** Frames per second of the looping players. */
  fps: number;
  /** On-screen size of each player's longer side, CSS pixels (a whole-number pixelated upscale, lib/player.ts). */
  size: number;
}

export interface CompareForm {
  count: number;
  round: number;
}

export interface UiState {
  tab: TabName;
  generateForm: GenerateForm;
  trainForm: TrainForm;
  annotator: string;
  rankMode: RankMode;
  player: PlayerSettings;
  compareForm: CompareForm;
}

export interface UiSlice extends UiState {
  helpOpen: boolean;
  setTab(tab: TabName): void;
  setHelpOpen(open: boolean): void;
  updateGenerateForm(patch: Partial<GenerateForm>): void;
  updateTrainForm(patch: Partial<TrainForm>): void;
  updateCompareForm(patch: Partial<CompareForm>): void;
  setAnnotator(name: string): void;
  setRankMode(mode: RankMode): void;
  updatePlayer(patch: Partial<PlayerSettings>): void;
  /** Apply stored settings: fields that are missing or of the wrong type keep their defaults. */
  hydrateUi(stored: unknown): void;
}

export const DEFAULT_PROMPTS = 'a red circle moves right\na blue square moves up';

export function defaultUi(): UiState {
  return {
    tab: 'Generate',
    generateForm: { promptsText: DEFAULT_PROMPTS, pairsPerPrompt: 1, steps: DEFAULT_SAMPLE_STEPS, guidance: DEFAULT_GUIDANCE, solver: DEFAULT_SAMPLER, firstFrameMode: 'none', firstFrameSeed: '' },
    trainForm: defaultTrainForm(),
    annotator: 'annotator-1',
    rankMode: 'pairwise',
    player: { fps: 8, size: PLAYER_SIZES[0] },
    compareForm: { count: 8, round: 1 },
  };
}

export function uiSnapshot(s: UiState): UiState {
  return { tab: s.tab, generateForm: s.generateForm, trainForm: s.trainForm, annotator: s.annotator, rankMode: s.rankMode, player: s.player, compareForm: s.compareForm };
}

/** Fields of `stored` that have the type of the default's field, over the defaults (one level deep for objects). */
export function mergeStoredUi(stored: unknown): UiState {
  const ui = defaultUi();
  if (!stored || typeof stored !== 'object') return ui;
  const s = stored as Record<string, unknown>;
  const sameType = (a: unknown, b: unknown) => typeof a === typeof b && Array.isArray(a) === Array.isArray(b);
  const mergeObject = <T extends object>(base: T, value: unknown): T => {
    if (!value || typeof value !== 'object') return base;
    const out = { ...base } as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) if (k in out && sameType(out[k], v)) out[k] = v;
    return out as T;
  };
  if (typeof s.tab === 'string' && (TABS as readonly string[]).includes(s.tab)) ui.tab = s.tab as TabName;
  if (typeof s.annotator === 'string' && s.annotator.trim()) ui.annotator = s.annotator;
  if (s.rankMode === 'pairwise' || s.rankMode === 'pointwise') ui.rankMode = s.rankMode;
  ui.generateForm = mergeObject(ui.generateForm, s.generateForm);
  ui.trainForm = mergeObject(ui.trainForm, s.trainForm);
  ui.player = mergeObject(ui.player, s.player);
  ui.compareForm = mergeObject(ui.compareForm, s.compareForm);
  return ui;
}

export const createUiSlice: SliceCreator<UiSlice> = (deps) => (set, get) => {
  // Several changes in one task (typing, a tab switch) make one write.
  let writeQueued = false;
  const save = () => {
    if (writeQueued) return;
    writeQueued = true;
    queueMicrotask(() => {
      writeQueued = false;
      deps.storage.putUi(uiSnapshot(get())).catch((e) => get().report(e));
    });
  };
  const update = (patch: Partial<UiState>) => {
    set(patch);
    save();
  };

  return {
    ...defaultUi(),
    helpOpen: false,
    setTab: (tab) => update({ tab }),
    setHelpOpen: (helpOpen) => set({ helpOpen }),
    updateGenerateForm: (patch) => update({ generateForm: { ...get().generateForm, ...patch } }),
    updateTrainForm: (patch) => update({ trainForm: { ...get().trainForm, ...patch } }),
    updateCompareForm: (patch) => update({ compareForm: { ...get().compareForm, ...patch } }),
    setAnnotator: (annotator) => update({ annotator }),
    setRankMode: (rankMode) => update({ rankMode }),
    updatePlayer: (patch) => update({ player: { ...get().player, ...patch } }),
    hydrateUi: (stored) => set(mergeStoredUi(stored)),
  };
};
