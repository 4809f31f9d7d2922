// The studio store: every slice in one zustand store (STYLE: slices combined, components select
// the fields they render). Built per page (and per unit test) with its dependencies injected.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createCompareSlice } from './compare-slice';
import { createEngineSlice } from './engine-slice';
import { createJudgmentsSlice } from './judgments-slice';
import { createPairsSlice } from './pairs-slice';
import { createProjectSlice } from './project-slice';
import { createRoundsSlice } from './rounds-slice';
import type { Studio, StudioDeps } from './types';
import { createUiSlice } from './ui-slice';

export type { Studio, StudioDeps } from './types';

export function createStudioStore(deps: StudioDeps): StoreApi<Studio> {
  return createStore<Studio>()((...a) => ({
    ...createEngineSlice(deps)(...a),
    ...createPairsSlice(deps)(...a),
    ...createJudgmentsSlice(deps)(...a),
    ...createRoundsSlice(deps)(...a),
    ...createCompareSlice(deps)(...a),
    ...createUiSlice(deps)(...a),
    ...createProjectSlice(deps)(...a),
  }));
}
