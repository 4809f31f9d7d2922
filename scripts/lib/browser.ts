/**
 * Chromium for the browser benchmarks: the production build served by `vite preview`, and the
 * system Chromium with the flags of playwright.config.ts (WebGPU on whatever adapter the machine
 * has, SwiftShader on CPUs; quiet and offline).
 */
import { spawn } from 'node:child_process';
import { chromium, type Browser } from '@playwright/test';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--no-sandbox',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

async function waitForServer(url: string, ms: number, who: string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${who}: the preview server did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Build (unless `build` is false), serve the build on `port`, run `fn` with the base URL, stop
 * the server. `who` names the script in errors.
 */
export async function withPreview<T>(who: string, port: string, opts: { build: boolean; path?: string }, fn: (base: string) => Promise<T>): Promise<T> {
  if (opts.build) {
    const build = spawn('npx', ['vite', 'build'], { stdio: 'ignore' });
    const code = await new Promise((r) => build.on('exit', r));
    if (code !== 0) throw new Error(`${who}: \`vite build\` failed; run it to see why`);
  }
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', port, '--strictPort'], { stdio: 'ignore', detached: true });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForServer(`${base}${opts.path ?? '/'}`, 30_000, who);
    return await fn(base);
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}
