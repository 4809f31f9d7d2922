// npm run gpu:webgpu (scripts/gpu-webgpu.ts) where there is no WebGPU adapter — every CPU machine of
// ours: Dawn finds no Vulkan device it can use, and the script must say so and stop.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { dawnAdapter, loadDawn, NO_ADAPTER_MESSAGE, NoAdapterError } from '../../../scripts/lib/dawn';

// Skipped, with the reason in the test's name, only where the package itself cannot load.
const cannotLoad = await loadDawn().then(() => '', (e: Error) => e.message);
const why = cannotLoad ? ` (skipped: ${cannotLoad})` : '';

describe.skipIf(cannotLoad !== '')(`gpu:webgpu without an adapter${why}`, () => {
  let probe: unknown;
  beforeAll(async () => {
    probe = await dawnAdapter().catch((e: unknown) => e);
  });

  it('dawnAdapter fails with the message that names the missing Vulkan device and what to run it on', ({ skip }) => {
    if (!(probe instanceof Error)) skip('this machine has a WebGPU adapter');
    expect(probe).toBeInstanceOf(NoAdapterError);
    expect((probe as Error).message).toBe(NO_ADAPTER_MESSAGE);
    expect(NO_ADAPTER_MESSAGE).toMatch(/^No WebGPU adapter: .*no Vulkan device/);
    expect(NO_ADAPTER_MESSAGE).toMatch(/GPU machine/);
    expect(NO_ADAPTER_MESSAGE).toMatch(/lavapipe/);
  });

  it('the script prints that message and exits with status 2', ({ skip }) => {
    if (!(probe instanceof Error)) skip('this machine has a WebGPU adapter');
    const run = spawnSync('npm', ['run', '--silent', 'gpu:webgpu', '--', '--no-kernels'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(NO_ADAPTER_MESSAGE);
  }, 150_000);
});
