// Driving the studio as a person does (roles, labels, keys), shared by the studio e2e specs and
// the scripts that drive the built page (screenshots, bench:round). Pages need a baseURL.
import type { SamplerName } from '../../src/diffusion/sampler-defaults';
import { expect, type Locator, type Page } from '@playwright/test';

/** Open the studio and wait until the engine has loaded the model (or fail with its alert). */
export async function openStudio(page: Page, query: string): Promise<void> {
  await page.goto(`/${query}`);
  await waitForEngine(page);
}

export async function waitForEngine(page: Page): Promise<void> {
  const status = page.getByTestId('engine-status');
  await expect(status).toHaveAttribute('data-status', /^(ready|failed)$/, { timeout: 150_000 });
  if ((await status.getAttribute('data-status')) === 'failed') {
    throw new Error(`the engine did not start: ${await page.getByRole('alert').allTextContents()}`);
  }
}

export async function openTab(page: Page, name: 'Generate' | 'Rank' | 'Train' | 'Compare' | 'Export'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
}

/** Type prompts, choose few sampler steps (SwiftShader is slow), generate, wait for the pairs. */
export async function generatePairs(page: Page, prompts: string[], opts: { steps: number; pairsPerPrompt?: number; expectTotal: number; timeoutMs?: number; solver?: SamplerName }): Promise<void> {
  await openTab(page, 'Generate');
  if (opts.solver) await page.getByRole('combobox', { name: 'Solver' }).selectOption(opts.solver);
  await page.getByRole('textbox', { name: 'Prompts' }).fill(prompts.join('\n'));
  await page.getByRole('spinbutton', { name: 'Pairs per prompt' }).fill(String(opts.pairsPerPrompt ?? 1));
  await page.getByRole('spinbutton', { name: 'Sampler steps' }).fill(String(opts.steps));
  await page.getByRole('button', { name: 'Generate pairs' }).click();
  await expect(page.getByTestId('pair-count')).toContainText(`${opts.expectTotal} ${opts.expectTotal === 1 ? 'pair' : 'pairs'} in the project`, { timeout: opts.timeoutMs ?? 300_000 });
  const progress = page.getByRole('progressbar', { name: 'Generation progress' });
  const [now, max] = await Promise.all([progress.getAttribute('aria-valuenow'), progress.getAttribute('aria-valuemax')]);
  expect(Number(now)).toBe(Number(max));
}

/** Set the round's steps on the Train tab, press Run round, and wait until round `index` completed; its history item. */
export async function runRound(page: Page, steps: number, opts: { index?: number; timeoutMs?: number } = {}): Promise<Locator> {
  await openTab(page, 'Train');
  await page.getByRole('spinbutton', { name: 'Steps' }).fill(String(steps));
  await page.getByRole('button', { name: 'Run round' }).click();
  const item = page.getByRole('list', { name: 'Round history' }).getByRole('listitem').filter({ hasText: `Round ${opts.index ?? 1}` });
  await expect(item).toContainText('completed', { timeout: opts.timeoutMs ?? 600_000 });
  return item;
}

/** The canvas is looping a real video: frames advance, pixels are opaque and not one flat fill. */
export async function expectLoopingVideo(page: Page, label: string): Promise<void> {
  const canvas = page.getByLabel(label, { exact: true });
  await expect(canvas).toHaveAttribute('data-frames-drawn', /^[1-9]\d*$/);
  const drawnBefore = Number(await canvas.getAttribute('data-frames-drawn'));
  const seen = await canvas.evaluate(async (element) => {
    const c = element as HTMLCanvasElement;
    const colours = new Set<number>();
    let transparent = 0;
    for (let k = 0; k < 8; k++) {
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      for (let i = 0; i < data.length; i += 4) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        if (data[i + 3] !== 255) transparent++;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    return { colours: colours.size, transparent, width: c.width };
  });
  expect(seen.width).toBeGreaterThan(1);
  expect(seen.transparent).toBe(0);
  expect(seen.colours).toBeGreaterThan(1);
  expect(Number(await canvas.getAttribute('data-frames-drawn'))).toBeGreaterThan(drawnBefore);
}
