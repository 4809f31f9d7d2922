// React access to the studio store: one store per page, provided by context (tests and the page
// each build their own with createStudioStore).
import { createContext, useContext, useEffect, type RefObject } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { ProgressHandle } from '../ProgressBar';
import type { JobProgress } from './pairs-slice';
import { subscribeTo } from './subscribe';
import type { Studio } from './types';

export const StudioContext = createContext<StoreApi<Studio> | null>(null);

export function useStudioApi(): StoreApi<Studio> {
  const store = useContext(StudioContext);
  if (!store) throw new Error('useStudio outside <StudioContext.Provider>');
  return store;
}

/** Select one field (or a derived value that is stable for equal inputs). */
export function useStudio<T>(select: (state: Studio) => T): T {
  return useStore(useStudioApi(), select);
}

/** A transient subscription for the lifetime of a component (no re-render on change). */
export function useTransient<T>(select: (state: Studio) => T, onChange: (value: T) => void): void {
  const store = useStudioApi();
  useEffect(() => subscribeTo(store, select, onChange), [store]); // eslint-disable-line react-hooks/exhaustive-deps
}

/** Drive a progress bar from a job's transient progress (sampler or optimiser steps). */
export function useJobProgress(select: (state: Studio) => JobProgress | null, bar: RefObject<ProgressHandle | null>): void {
  useTransient(select, (p) => {
    if (p) bar.current?.set(p.done, p.total, performance.now() - p.startedAt, p.waiting ?? undefined);
  });
}
