// Transient subscriptions: call back when a selected field changes, without rendering React.
// Used for progress bars and live charts that update once per sampler or optimiser step.
import type { StoreApi } from 'zustand/vanilla';

export function subscribeTo<S, T>(store: StoreApi<S>, select: (state: S) => T, onChange: (value: T) => void): () => void {
  let last = select(store.getState());
  onChange(last);
  return store.subscribe((state) => {
    const next = select(state);
    if (next !== last) {
      last = next;
      onChange(next);
    }
  });
}
