// An online round labelled by the Train tab's simulated person with a taste (`big`), on `tiny`:
// its labels must follow the taste. The project backup gives the stored judgments and videos;
// the taste is re-scored here in Node on the same bytes.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { restoreProject } from '../../src/export/backup';
import { pairLabels } from '../../src/prefs/judgments';
import type { PairwiseJudgment } from '../../src/prefs/types';
import { builtinTaste } from '../../src/world/tastes';
import { videoFromUint8 } from '../../src/world/video';
import { openStudio, openTab, runRound } from '../../scripts/lib/studio-driver';

const PROMPTS = ['a red circle moves right', 'a blue square grows', 'a green triangle moves up', 'a yellow circle bounces'];

test('an online round with a simulated taste labels pairs the way that taste prefers', async ({ page }) => {
  test.setTimeout(900_000);
  await openStudio(page, '?model=tiny');
  await openTab(page, 'Generate');
  await page.getByRole('textbox', { name: 'Prompts' }).fill(PROMPTS.join('\n'));

  await openTab(page, 'Train');
  await page.getByRole('combobox', { name: 'Method' }).selectOption('online');
  await page.getByRole('combobox', { name: 'Labeller' }).selectOption('simulated');
  await page.getByRole('combobox', { name: 'Taste' }).selectOption('big');
  await page.getByRole('spinbutton', { name: 'Pairs per prompt (online)' }).fill('4');
  await runRound(page, 4);

  // Compare scores each evaluated round by the chosen taste beside the world metrics.
  await openTab(page, 'Compare');
  await page.getByRole('spinbutton', { name: 'Held-out prompts' }).fill('2');
  await page.getByRole('button', { name: /Evaluate/ }).click();
  await expect(page.getByTestId('taste-row')).toContainText('taste: big', { timeout: 300_000 });
  await expect(page.getByTestId('taste-row').getByRole('cell')).toHaveCount(2, { timeout: 300_000 });

  await openTab(page, 'Export');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Backup project' }).click();
  const file = await (await download).path();
  const project = await restoreProject(new Uint8Array(await readFile(file)), 'backup.zip');

  const shape = { frames: 4, height: 16, width: 16 };
  const big = builtinTaste('big');
  const judged = project.judgments.filter((j): j is PairwiseJudgment => j.annotatorKind === 'simulated' && 'leftWas' in j);
  expect(judged.length).toBe(PROMPTS.length * 4);
  expect(judged[0].annotator).toBe('simulated (big)');
  let agree = 0;
  let decided = 0;
  for (const j of judged) {
    const pair = project.pairs.find((p) => p.id === j.pairId)!;
    const [a, b] = pair.videoIds.map((id) => big.score(videoFromUint8(project.videos[id], shape), pair.prompt));
    const labels = pairLabels(j);
    if (!labels || labels[0] === labels[1] || a === b) continue;
    decided++;
    agree += (labels[0] > labels[1]) === (a > b) ? 1 : 0;
  }
  // Noise 0.3 std flips only close pairs: most decided labels side with the bigger object.
  expect(decided).toBeGreaterThanOrEqual(8);
  expect(agree / decided).toBeGreaterThanOrEqual(0.75);
});
