// The studio's one store: slices combined (STYLE: pmndrs' slices pattern). Components select the
// single fields they render; high-frequency numbers (sampler progress, a round's per-step
// metrics) are fields that only transient subscriptions read (see subscribe.ts).
import type { StateCreator } from 'zustand/vanilla';
import type { EngineRequests } from '../engine-requests';
import type { ProjectStorage } from './persist';
import type { EngineSlice } from './engine-slice';
import type { PairsSlice } from './pairs-slice';
import type { JudgmentsSlice } from './judgments-slice';
import type { RoundsSlice } from './rounds-slice';
import type { CompareSlice } from './compare-slice';
import type { UiSlice } from './ui-slice';
import type { ProjectSlice } from './project-slice';

export type Studio = EngineSlice & PairsSlice & JudgmentsSlice & RoundsSlice & CompareSlice & UiSlice & ProjectSlice;

export interface StudioDeps {
  engine: EngineRequests;
  storage: ProjectStorage;
  /** The model of this page (`?model=`): names the project in backups and exports. */
  modelName: string;
  now: () => Date;
  /** Hand a file to the person (a download in the page; captured in tests). */
  save: (bytes: Uint8Array, fileName: string, mimeType: string) => void;
}

export type SliceCreator<S> = (deps: StudioDeps) => StateCreator<Studio, [], [], S>;
