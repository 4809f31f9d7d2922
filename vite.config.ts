// Vite (dev server, preview, build) and Vitest in one place.
//
// JSX: no React plugin; Vite's built-in oxc transform compiles .tsx with the automatic runtime
// (tsconfig "jsx": "react-jsx"), so `react/jsx-runtime` is imported where needed.
import { defineConfig } from 'vitest/config';

// Vitest 5 asks for Node ≥ 22 and its main process calls Map.groupBy / Object.groupBy /
// Promise.withResolvers (reporting failures, snapshots, watch). On Node 20 the failure reporter
// itself crashes, so a failing test prints a TypeError instead of its diff. Fill the three gaps
// here (this file runs in that process); a no-op on Node ≥ 22.
installNode20Polyfills();

// Cross-origin isolation (COOP + COEP) makes SharedArrayBuffer available, which the tfjs WASM
// backend needs for threads. Every resource the page loads must then be same-origin or CORP.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  // Checkpoints may be imported as URLs (`?url`) besides living in public/models/.
  assetsInclude: ['**/*.safetensors'],
  worker: {
    format: 'es',
    // The multi-threaded tfjs WASM backend starts its pthread workers from the *source text* of
    // its Emscripten factory (Function.prototype.toString), so that function must keep the free
    // names it refers to (`_scriptDir`, …). Mangling or compressing breaks it ("e is not
    // defined", "_scriptDir is not defined" inside blob: workers), so the worker bundle is only
    // stripped of whitespace. The page bundle (no tfjs) is minified normally.
    rolldownOptions: { output: { minify: { mangle: false, compress: false, codegen: { removeWhitespace: true } } } },
  },
  build: {
    target: 'es2022',
    // The kernel lab (fused kernels vs reference, for tests/browser/kernels*.spec.ts and
    // `npm run bench:kernels`) and the export lab (src/export/ in the built page, for
    // tests/browser/export.spec.ts) ship beside the studio.
    rolldownOptions: { input: { main: 'index.html', kernelLab: 'kernel-lab.html', exportLab: 'export-lab.html' } },
  },
  optimizeDeps: {
    // ffmpeg.wasm spawns its own worker from a relative URL; pre-bundling breaks that path.
    exclude: ['@ffmpeg/ffmpeg', '@ffmpeg/util'],
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2, // the CI machine has 2 cores; model tests are CPU-heavy
  },
});

function installNode20Polyfills(): void {
  type GroupBy = <K, T>(items: Iterable<T>, key: (item: T, index: number) => K) => Map<K, T[]>;
  const groupIntoMap: GroupBy = (items, key) => {
    const groups = new Map();
    let index = 0;
    for (const item of items) {
      const k = key(item, index++);
      const group = groups.get(k);
      if (group) group.push(item);
      else groups.set(k, [item]);
    }
    return groups;
  };
  const map = Map as unknown as { groupBy?: GroupBy };
  map.groupBy ??= groupIntoMap;
  const object = Object as unknown as { groupBy?: (items: Iterable<unknown>, key: (item: unknown, index: number) => PropertyKey) => object };
  object.groupBy ??= (items, key) => Object.assign(Object.create(null), Object.fromEntries(groupIntoMap(items, key)));
  const promise = Promise as unknown as { withResolvers?: () => unknown };
  promise.withResolvers ??= () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason?: unknown) => void;
    const p = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: p, resolve, reject };
  };
}
