/**
 * Node module hooks for Vite's raw imports (`import source from './x.wgsl?raw'`: the file's text as
 * the default export), so that code bundled for the browser — the WGSL kernels in src/kernels —
 * also runs under tsx. Registered by raw-imports.mjs.
 */
import { readFile } from 'node:fs/promises';

const RAW = '?raw';

export async function resolve(specifier, context, nextResolve) {
  if (!specifier.endsWith(RAW)) return nextResolve(specifier, context);
  return { url: new URL(specifier, context.parentURL).href, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith(RAW)) return nextLoad(url, context);
  const file = new URL(url);
  file.search = '';
  return { format: 'module', source: `export default ${JSON.stringify(await readFile(file, 'utf8'))};`, shortCircuit: true };
}
