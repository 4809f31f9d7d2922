// Bad input in the studio (tiny model): a prompt with unknown words generates nothing and names
// the words; a corrupt LoRA file or backup is refused with the file's name and changes nothing; a
// wrong ?model= in the URL names the models there are.
import { expect, test } from '@playwright/test';
import { openStudio, openTab } from '../../scripts/lib/studio-driver';

// Loading the engine alone can take minutes on a busy 2-core machine (SwiftShader, WASM).
test.describe.configure({ timeout: 600_000 });

const openTiny = (page: Parameters<typeof openStudio>[0]) => openStudio(page, '?model=tiny');

test('a prompt box with unknown words generates nothing and names every unknown word', async ({ page }) => {
  await openTiny(page);
  await page.getByRole('textbox', { name: 'Prompts' }).fill('a red circle moves left\na magenta circel moves right');
  await page.getByRole('button', { name: 'Generate pairs' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Line 2');
  await expect(alert).toContainText('"magenta"');
  await expect(alert).toContainText('"circel" (did you mean "circle"?)');
  await expect(page.getByTestId('pair-count')).toContainText('0 pairs');
  await expect(page.getByRole('progressbar', { name: 'Generation progress' })).toHaveAttribute('aria-valuenow', '0');
  await expect(page.getByRole('button', { name: 'Generate pairs' })).toBeEnabled();
});

test('a corrupt LoRA import is refused with the file named, and nothing changes', async ({ page }) => {
  await openTiny(page);
  await openTab(page, 'Export');
  const input = page.getByLabel('Import LoRA');
  await input.setInputFiles({ name: 'adapter_model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a safetensors file') });
  await expect(page.getByRole('alert')).toContainText('adapter_model.safetensors');
  await page.getByRole('button', { name: 'Dismiss' }).click();
  // A zip that is cut off is refused too, naming the zip.
  await input.setInputFiles({ name: 'my-lora.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\u0003\u0004 truncated') });
  await expect(page.getByRole('alert')).toContainText('my-lora.zip');
  await expect(page.getByTestId('round')).toHaveAttribute('data-round', '0');
  await expect(page.getByRole('button', { name: 'Export LoRA' })).toBeDisabled();
  await openTab(page, 'Train');
  await expect(page.getByText('No rounds yet.')).toBeVisible();
});

test('a corrupt backup is refused with the file named, and the project stays', async ({ page }) => {
  await openTiny(page);
  await openTab(page, 'Export');
  await page.getByLabel('Restore project').setInputFiles({ name: 'old-study.zip', mimeType: 'application/zip', buffer: Buffer.from('definitely not a zip') });
  await expect(page.getByRole('alert')).toContainText('old-study.zip');
  await expect(page.getByTestId('export-status')).toHaveText('');
});

test('an unknown model in the URL says which models exist, and starts nothing', async ({ page }) => {
  await page.goto('/?model=huge');
  await expect(page.getByRole('alert')).toContainText('Unknown model "huge"');
  await expect(page.getByRole('alert')).toContainText('?model=tiny');
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-status', 'failed');
});
