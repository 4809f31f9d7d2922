// WebGPU sanity check for the browser test setup (playwright.config.ts flags): the browser
// exposes navigator.gpu, returns an adapter, and a WGSL compute shader gives the right numbers.
// Runs on a blank page of the test origin (127.0.0.1 is a secure context), not the studio.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

const ADD_WGSL = readFileSync(new URL('../../shaders/add.wgsl', import.meta.url), 'utf8');

test.beforeEach(async ({ page }) => {
  await page.route('**/__blank', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' }));
  await page.goto('/__blank');
});

test('navigator.gpu gives an adapter with the limits our kernels are budgeted for', async ({ page }) => {
  const adapter = await page.evaluate(async () => {
    const gpu = navigator.gpu;
    if (!gpu) return null;
    const a = await gpu.requestAdapter();
    if (!a) return { adapter: null };
    const info: Record<string, unknown> = (a as GPUAdapter & { info?: Record<string, unknown> }).info ?? {}; // not yet in @webgpu/types
    return {
      vendor: info.vendor as string,
      architecture: info.architecture as string,
      description: info.description as string,
      isFallbackAdapter: (info.isFallbackAdapter ?? a.isFallbackAdapter) as boolean | undefined,
      features: [...a.features] as string[],
      maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize as number,
      maxStorageBuffersPerShaderStage: a.limits.maxStorageBuffersPerShaderStage as number,
    };
  });
  expect(adapter, 'navigator.gpu is missing: launch Chromium with --enable-unsafe-webgpu').not.toBeNull();
  expect(adapter, 'requestAdapter() returned null: no WebGPU adapter (check the Chromium flags)').not.toEqual({ adapter: null });
  console.log('WebGPU adapter:', JSON.stringify(adapter));
  test.info().annotations.push({ type: 'adapter', description: JSON.stringify(adapter) });
  // docs/architecture.md §5 budgets: 16 KiB workgroup memory, 8 storage buffers per stage.
  expect(adapter!.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16 * 1024);
  expect(adapter!.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
});

test('a WGSL compute shader adds two arrays (length not a multiple of the workgroup size)', async ({ page }) => {
  const n = 1000;
  const result = await page.evaluate(
    async ({ code, n }) => {
      const gpu = navigator.gpu;
      const adapter = await gpu.requestAdapter();
      const device = await adapter!.requestDevice();
      const errors: string[] = [];
      device.onuncapturederror = (e: GPUUncapturedErrorEvent) => errors.push(String(e.error?.message ?? e));
      const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01; // GPUBufferUsage
      const a = Float32Array.from({ length: n }, (_, i) => i * 0.5);
      const b = Float32Array.from({ length: n }, (_, i) => 1000 - i);
      const upload = (data: Float32Array) => {
        const buffer = device.createBuffer({ size: data.byteLength, usage: STORAGE, mappedAtCreation: true });
        new Float32Array(buffer.getMappedRange()).set(data);
        buffer.unmap();
        return buffer;
      };
      const out = device.createBuffer({ size: n * 4, usage: STORAGE | COPY_SRC });
      const readback = device.createBuffer({ size: n * 4, usage: MAP_READ | COPY_DST });
      const module = device.createShaderModule({ code });
      const compilation = await module.getCompilationInfo();
      const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [upload(a), upload(b), out].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(n / 64)); // 64 = @workgroup_size in add.wgsl
      pass.end();
      encoder.copyBufferToBuffer(out, 0, readback, 0, n * 4);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(1 /* GPUMapMode.READ */);
      const c = Array.from(new Float32Array(readback.getMappedRange()));
      readback.unmap();
      const expected = Array.from(a, (x, i) => x + b[i]);
      const mismatches = c.flatMap((v, i) => (v === expected[i] ? [] : [`[${i}] ${v} != ${expected[i]}`]));
      const messages: string[] = compilation.messages.map((m) => `${m.type}: ${m.message}`);
      return { messages, errors, mismatches: mismatches.slice(0, 5), count: c.length };
    },
    { code: ADD_WGSL, n },
  );
  expect(result.messages.filter((m) => m.startsWith('error'))).toEqual([]);
  expect(result.errors).toEqual([]);
  expect(result.count).toBe(n);
  expect(result.mismatches).toEqual([]);
});
