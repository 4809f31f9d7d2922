// Shared page set-up for the kernel specs: one page on /kernel-lab.html per spec file (serial
// tests), checked to be on the webgpu backend, with no WebGPU errors left after each test.
import { expect, test, type Page } from '@playwright/test';
import type { KernelLab } from '../../src/kernel-lab/main';

declare const kernelLab: KernelLab;

/** Register the hooks; `page` is the kernel-lab page once `beforeAll` has run. */
export function useKernelLab(): { readonly page: Page } {
  let page: Page | undefined;
  const lab = {
    get page(): Page {
      if (!page) throw new Error('kernel lab page is not open yet');
      return page;
    },
  };

  test.describe.configure({ mode: 'serial' });

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage();
    await page.goto('/kernel-lab.html');
    const ready = await page.evaluate(() => kernelLab.ready);
    console.log('kernel lab:', JSON.stringify(ready));
    expect(ready.backend).toBe('webgpu');
  });

  test.afterAll(async () => {
    await page?.close();
  });

  test.afterEach(async () => {
    expect(await lab.page.evaluate(() => kernelLab.takeGpuErrors())).toEqual([]);
  });

  return lab;
}
