// The studio page, driven as a person would: roles and labels, on the `tiny` model. The engine
// starts on the automatic backend and on forced WebGPU, and a generated video loops on a canvas.
import { expect, test, type Page } from '@playwright/test';
import { expectLoopingVideo, generatePairs, openStudio, openTab } from '../../scripts/lib/studio-driver';

// Loading the engine alone can take minutes on a busy 2-core machine (SwiftShader, WASM).
test.describe.configure({ timeout: 600_000 });

async function openReady(page: Page, query = '') {
  await openStudio(page, `?model=tiny${query}`);
  await expect(page.getByRole('button', { name: 'Generate pairs' })).toBeEnabled();
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

    // One pair (two videos) with the default sampler settings.
    await generatePairs(page, ['a blue square moves up'], { steps: Number(await page.getByRole('spinbutton', { name: 'Sampler steps' }).inputValue()), expectTotal: 1 });
    await expect(page.getByTestId('generation-time')).toHaveAttribute('data-ms', /^\d+(\.\d+)?$/);
    await expect(page.getByRole('alert')).toHaveCount(0);

    // The canvas loops the video: the frame counter advances, pixels are opaque, and across the
    // loop the picture is not one flat fill (a single frame may be, e.g. an object leaving the frame).
    await openTab(page, 'Rank');
    await expectLoopingVideo(page, 'Left video');
    expect(pageErrors).toEqual([]);
  });
}

test('the solver choice: a pair sampled with DPM-Solver++(2M); the choice survives a reload and Compare names it', async ({ page }) => {
  await openReady(page);
  await expect(page.getByRole('combobox', { name: 'Solver' })).toHaveValue('euler');
  await generatePairs(page, ['a red circle moves left'], { steps: 4, expectTotal: 1, solver: 'dpm++2m' });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.reload();
  await openReady(page);
  await expect(page.getByRole('combobox', { name: 'Solver' })).toHaveValue('dpm++2m');
  await expect(page.getByTestId('pair-count')).toContainText('1 pair in the project');
  await openTab(page, 'Compare');
  await expect(page.getByText(/sampler steps \(DPM-Solver\+\+\(2M\)\)/)).toBeVisible();
});

test('an unknown colour in the prompt is an error that names the word', async ({ page }) => {
  await openReady(page);
  await page.getByRole('textbox', { name: 'Prompts' }).fill('a magenta circle moves left');
  await page.getByRole('button', { name: 'Generate pairs' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('magenta');
  // The page is usable again after the error.
  await expect(page.getByRole('button', { name: 'Generate pairs' })).toBeEnabled();
});
