// The minimal studio page, driven as a person would: roles and labels, on the `tiny` model.
import { expect, test, type Page } from '@playwright/test';

async function openReady(page: Page, query = '') {
  await page.goto(`/?model=tiny${query}`);
  // Wait until the engine has either loaded the model or failed; a failure shows its alert.
  const status = page.getByTestId('engine-status');
  await expect(status).toHaveAttribute('data-status', /^(ready|failed)$/, { timeout: 120_000 });
  if ((await status.getAttribute('data-status')) === 'failed') {
    throw new Error(`the engine did not start: ${await page.getByRole('alert').textContent()}`);
  }
  await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
  await expect(page.getByTestId('model')).toContainText('tiny');
}

// The automatic choice (WASM on SwiftShader's fallback adapter) and the model forced onto WebGPU.
for (const [label, query] of [['automatic backend', ''], ['WebGPU backend', '&backend=webgpu']] as const) {
test(`generates a video from a prompt and loops it on the canvas (${label})`, async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openReady(page, query);
  if (query) {
    await expect(page.getByTestId('backend')).toContainText('webgpu');
    await expect(page.getByTestId('kernels')).toHaveText('fused WGSL');
  } else {
    await expect(page.getByTestId('kernels')).toHaveText('reference (tfjs)');
  }
  const backend = await page.getByTestId('backend').textContent();
  const adapter = await page.getByTestId('adapter').textContent();
  test.info().annotations.push({ type: 'engine', description: `${backend} / ${adapter}` });

  await page.getByRole('textbox', { name: 'Prompt' }).fill('a blue square moves up');
  await page.getByRole('spinbutton', { name: 'Seed' }).fill('3');
  await page.getByRole('button', { name: 'Generate' }).click();

  const canvas = page.getByLabel('Generated video');
  await expect(canvas).toHaveAttribute('data-frames-drawn', /^[1-9]\d*$/, { timeout: 150_000 });
  const progress = page.getByRole('progressbar', { name: 'Generation progress' });
  const [now, max] = await Promise.all([progress.getAttribute('aria-valuenow'), progress.getAttribute('aria-valuemax')]);
  expect(Number(now)).toBe(Number(max));
  await expect(page.getByRole('alert')).toHaveCount(0);

  // The canvas loops the video: the frame counter advances, pixels are opaque, and across the
  // loop the picture is not one flat fill (a single frame may be, e.g. an object leaving the frame).
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
      await new Promise((r) => setTimeout(r, 120));
    }
    return { colours: colours.size, transparent, width: c.width };
  });
  expect(seen.width).toBeGreaterThan(1);
  expect(seen.transparent).toBe(0);
  expect(seen.colours).toBeGreaterThan(1);
  expect(Number(await canvas.getAttribute('data-frames-drawn'))).toBeGreaterThan(drawnBefore);
  expect(pageErrors).toEqual([]);
});
}

test('an unknown colour in the prompt is an error that names the word', async ({ page }) => {
  await openReady(page);
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a magenta circle moves left');
  await page.getByRole('button', { name: 'Generate' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('magenta');
  // The page is usable again after the error.
  await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
});
