// The README's studio screenshots: docs/studio-{generate,rank,train,compare,export}.png.
//
//   nice -n 19 npx vite build && nice -n 19 npx vite preview --host 127.0.0.1 --port 4173 --strictPort &
//   npx tsx scripts/screenshots.ts [--model small]
//
// Drives the built page on `?model=small` (the shipped default; --model names another) in
// Chromium (1280×800) as a person does, like the e2e specs (scripts/lib/studio-driver.ts):
// generate one pair for each of two prompts with few sampler steps, rank both pairs by keyboard,
// run a short DPO round, evaluate base and Round 1 on the Compare tab, then save one PNG per tab.
// A fresh browser context starts an empty project.
// $BASE_URL overrides the server (default http://127.0.0.1:4173); $CHROMIUM_PATH the browser.
import { statSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { generatePairs, openStudio, openTab, runRound } from './lib/studio-driver';
import { launchChromium } from './lib/browser';
import { parseArgs } from './lib/args';

const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:4173';
const args = parseArgs(process.argv.slice(2), { model: 'small' });
const PROMPTS = ['a red circle moves right', 'a blue square moves up'];
const SAMPLER_STEPS = 4;
const TRAIN_STEPS = 6;
const TABS = ['Generate', 'Rank', 'Train', 'Compare', 'Export'] as const;
type Tab = (typeof TABS)[number];

async function shoot(page: Page, tab: Tab): Promise<void> {
  const path = `docs/studio-${tab.toLowerCase()}.png`;
  await page.mouse.move(0, 0); // no hover highlight
  await page.waitForTimeout(400); // let the players draw a few frames
  await page.screenshot({ path, animations: 'disabled' });
  console.log(`${path}: ${(statSync(path).size / 1024).toFixed(0)} KiB`);
}

async function main(): Promise<void> {
  try {
    await fetch(BASE_URL);
  } catch {
    throw new Error(`nothing answers at ${BASE_URL}: run \`npx vite build && npx vite preview --host 127.0.0.1 --port 4173 --strictPort &\` first`);
  }
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    expect.configure({ timeout: 30_000 });

    const started = Date.now();
    await openStudio(page, `?model=${args.model}`);

    // Generate: one pair per prompt, few sampler steps.
    await generatePairs(page, PROMPTS, { steps: SAMPLER_STEPS, expectTotal: PROMPTS.length });
    await shoot(page, 'Generate');

    // Rank by keyboard: left better on the first pair, shoot the second, right better on it.
    await openTab(page, 'Rank');
    const position = page.getByTestId('rank-position');
    await expect(position).toHaveText(`Pair 1 of ${PROMPTS.length}`);
    await page.keyboard.press('1');
    await expect(position).toHaveText(`Pair 2 of ${PROMPTS.length}`);
    await expect(page.getByLabel('Left video', { exact: true })).toHaveAttribute('data-frames-drawn', /^[1-9]\d*$/);
    await shoot(page, 'Rank');
    await page.keyboard.press('2');
    await expect(position).toHaveText(`All ${PROMPTS.length} pairs judged.`);

    // Train: a short round.
    await runRound(page, TRAIN_STEPS);
    await shoot(page, 'Train');

    // Compare: base and Round 1 on two held-out prompts.
    await openTab(page, 'Compare');
    await page.getByRole('spinbutton', { name: 'Held-out prompts' }).fill('2');
    await page.getByRole('button', { name: 'Evaluate base and round 1' }).click();
    await expect(page.getByRole('table')).toContainText('Round 1', { timeout: 300_000 });
    await shoot(page, 'Compare');

    await openTab(page, 'Export');
    await shoot(page, 'Export');

    const total = TABS.reduce((sum, t) => sum + statSync(`docs/studio-${t.toLowerCase()}.png`).size, 0);
    console.log(`total ${(total / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 60000).toFixed(1)} min on ${args.model}`);
    if (total >= 1.5 * 1024 * 1024) throw new Error(`the screenshots total ${total} bytes (budget 1.5 MB)`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
