// `tsx --import ./scripts/lib/raw-imports.mjs script.ts`: Vite's `?raw` imports in Node (raw-import-hooks.mjs).
import { register } from 'node:module';

register('./raw-import-hooks.mjs', import.meta.url);
