// The shipped small model on the WASM backend (what a CPU-only visitor gets): one pair is
// generated and shown in the Rank tab's synchronised players.
import { expect, test } from '@playwright/test';
import { expectLoopingVideo, generatePairs, openStudio, openTab } from '../../scripts/lib/studio-driver';

test('the small model on ?backend=wasm generates a pair and shows it', async ({ page }) => {
  test.setTimeout(600_000);
  await openStudio(page, '?backend=wasm');
  await expect(page.getByTestId('backend')).toHaveText('wasm');
  await expect(page.getByTestId('model')).toContainText('small (8×32×32)');
  await generatePairs(page, ['a yellow square moves left'], { steps: 12, expectTotal: 1 });
  await openTab(page, 'Rank');
  await expect(page.getByTestId('rank-position')).toHaveText('Pair 1 of 1');
  await expect(page.getByText('“a yellow square moves left”')).toBeVisible();
  await expectLoopingVideo(page, 'Left video');
  await expectLoopingVideo(page, 'Right video');
  // small's 32×32 videos are drawn at least 256 px wide at a 1280 px viewport.
  for (const name of ['Left video', 'Right video']) expect((await page.getByLabel(name, { exact: true }).boundingBox())!.width).toBeGreaterThanOrEqual(256);
  await expect(page.getByRole('alert')).toHaveCount(0);
});
