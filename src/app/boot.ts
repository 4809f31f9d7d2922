// Start the studio: the stored project (IndexedDB) and the engine worker, wired into one store.
// Outside React, so the worker starts once per page (StrictMode re-runs effects in development).
import type { StoreApi } from 'zustand/vanilla';
import { EngineClient } from './engineClient';
import { EngineRequests } from './engine-requests';
import { saveBytes } from './lib/download';
import type { PageSettings } from './settings';
import { createStudioStore, type Studio } from './store';
import { idbKeyValueStore, memoryKeyValueStore, ProjectStorage } from './store/persist';

export function bootStudio(settings: PageSettings): StoreApi<Studio> {
  const hasIndexedDb = typeof indexedDB !== 'undefined';
  const storage = new ProjectStorage(hasIndexedDb ? idbKeyValueStore(settings.modelName) : memoryKeyValueStore());
  const engine = new EngineRequests(new EngineClient());
  const store = createStudioStore({ engine, storage, modelName: settings.modelName, now: () => new Date(), save: saveBytes });
  const state = store.getState;

  if (!hasIndexedDb) state().pushAlert('storage', 'This browser offers no IndexedDB (private mode?): the project lives only in this tab. Use Backup project to keep it.', true);

  // 1. the stored project (pairs, judgments, rounds, videos, settings, tab)
  const loaded = storage
    .load()
    .then((project) => state().hydrate(project))
    .catch((e) => {
      state().report(e, 'Loading the stored project');
      state().hydrate({ pairs: [], judgments: [], rounds: [], videos: {}, ui: null });
    });
  // 2. the engine; once the model is up, put the stored rounds' LoRAs back into the policy
  state().startEngine({ backend: settings.forcedBackend, modelUrl: settings.modelUrl, modelName: settings.modelName }, () => {
    void loaded.then(() => state().syncPolicy());
  });
  return store;
}
