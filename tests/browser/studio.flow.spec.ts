// The studio end to end on the `tiny` model (Chromium; SwiftShader's WebGPU adapter is a fallback,
// so the engine picks WASM unless forced): generate pairs for three prompts → rank every pair by
// keyboard (a tie and an undo among them) → Run round → Round 1 with metrics → Export LoRA (the
// zip is opened and checked) → reload → judgments and Round 1 are still there, the policy too.
// Main-thread long tasks are measured while the round trains.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { parseSafetensors, toFloat32 } from '../../src/io/safetensors';
import { readZip } from '../../src/export/zip';
import { expectLoopingVideo, generatePairs, openStudio, openTab, waitForEngine } from '../../scripts/lib/studio-driver';

const PROMPTS = ['a red circle moves right', 'a blue square moves up', 'a green triangle grows'];
const TRAIN_STEPS = 6;

test('generate → rank by keyboard → run a round → export the LoRA → reload keeps everything', async ({ page }) => {
  test.setTimeout(900_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Long tasks (≥ 50 ms on the main thread) from the first paint on.
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });

  await openStudio(page, '?model=tiny');
  await expect(page.getByTestId('model')).toContainText('tiny');
  await expect(page.getByTestId('round')).toHaveAttribute('data-round', '0');
  await expect(page.getByRole('tablist')).toBeVisible();
  for (const name of ['Generate', 'Rank', 'Train', 'Compare', 'Export']) await expect(page.getByRole('tab', { name })).toBeVisible();
  // The tablist moves with the arrow keys; `?` opens the keyboard help and Escape closes it.
  await page.getByRole('tab', { name: 'Generate' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Rank' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Rank' })).toBeFocused();
  // Choosing the tab (Enter) moves focus into its panel: ←/→ then belong to the panel, not the tablist.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tabpanel', { name: 'Rank' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Rank' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText('Both bad');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // 1. generate one pair for each of three prompts, few sampler steps
  const started = Date.now();
  await generatePairs(page, PROMPTS, { steps: 4, expectTotal: 3 });
  const generateSeconds = (Date.now() - started) / 1000;

  // 2. rank every pair by keyboard: left, tie → undo → right, tie
  await openTab(page, 'Rank');
  const position = page.getByTestId('rank-position');
  await expect(position).toHaveText('Pair 1 of 3');
  await expectLoopingVideo(page, 'Left video');
  await expectLoopingVideo(page, 'Right video');
  // tiny's 16×16 videos are drawn at least 256 px wide (whole-pixel upscale) at a 1280 px viewport.
  expect(page.viewportSize()?.width).toBe(1280);
  for (const name of ['Left video', 'Right video']) expect((await page.getByLabel(name, { exact: true }).boundingBox())!.width).toBeGreaterThanOrEqual(256);
  await page.keyboard.press('1');
  await expect(position).toHaveText('Pair 2 of 3');
  await page.keyboard.press('t');
  await expect(position).toHaveText('Pair 3 of 3');
  await page.keyboard.press('z'); // undo the tie
  await expect(position).toHaveText('Pair 2 of 3');
  await page.keyboard.press('ArrowRight');
  await expect(position).toHaveText('Pair 3 of 3');
  // The critic, trained on the two judgments so far, gives a hint with its confidence.
  await page.getByRole('button', { name: 'Ask the critic' }).click();
  await expect(page.getByTestId('critic-hint')).toContainText(/Critic prefers the (left|right) video \(confidence \d+ %/, { timeout: 120_000 });
  await page.keyboard.press('t');
  await expect(position).toHaveText('All 3 pairs judged.');
  const counts = page.getByTestId('judged-counts');
  await expect(counts).toContainText('Judged: 3 of 3');
  await expect(counts).toContainText('left/right better 2');
  await expect(counts).toContainText('tie 1');

  // 3. one DPO round, few steps; the page must stay usable while it trains
  await openTab(page, 'Train');
  await expect(page.getByTestId('training-data')).toContainText('2 preference pairs');
  await page.getByRole('spinbutton', { name: 'Steps' }).fill(String(TRAIN_STEPS));
  // Main-thread CPU time (Chrome's ThreadTime) tells a busy page from a starved one: on a loaded
  // 2-core machine a nice'd renderer's short tasks can last 100+ ms of wall time.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const mainThread = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
    return { cpu: get('ThreadTime'), tasks: get('TaskDuration') };
  };
  const before = await mainThread();
  const roundStart = await page.evaluate(() => performance.now());
  const roundStarted = Date.now();
  await page.getByRole('button', { name: 'Run round' }).click();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  // Usable meanwhile: switch tabs and back while the worker trains.
  const switchStart = await page.evaluate(() => performance.now());
  await openTab(page, 'Rank');
  await expect(position).toHaveText('All 3 pairs judged.');
  await openTab(page, 'Train');
  const switchEnd = await page.evaluate(() => performance.now());
  const history = page.getByRole('list', { name: 'Round history' });
  await expect(history.getByRole('listitem').filter({ hasText: 'Round 1' })).toContainText('completed', { timeout: 600_000 });
  const roundEnd = await page.evaluate(() => performance.now());
  const after = await mainThread();
  const roundSeconds = (Date.now() - roundStarted) / 1000;
  const entry = history.getByRole('listitem').filter({ hasText: 'Round 1' });
  await expect(entry).toContainText(`${TRAIN_STEPS}/${TRAIN_STEPS} steps`);
  await expect(entry).toContainText(/loss \d/);
  await expect(entry).toContainText(/implicit accuracy \d/);
  await expect(page.getByTestId('round')).toHaveAttribute('data-round', '1');
  await expect(page.getByRole('img', { name: 'Loss' })).toHaveAttribute('data-points', String(TRAIN_STEPS));

  // Long tasks while the round trained, and how many of them fell in the tab switches above
  // (React renders of a whole tab; the rest are the per-step updates of charts and progress).
  const longTasks: { start: number; duration: number }[] = await page.evaluate(() => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks);
  const summary = (from: number, to: number) => {
    const d = longTasks.filter((t) => t.start >= from && t.start <= to).map((t) => t.duration);
    return { count: d.length, totalMs: Math.round(d.reduce((a, b) => a + b, 0)), maxMs: Math.round(Math.max(0, ...d)) };
  };
  const report = { generateSeconds, roundSeconds, roundSteps: TRAIN_STEPS, longTasks: summary(roundStart, roundEnd), duringTabSwitches: summary(switchStart, switchEnd),
    mainThreadCpuMs: Math.round((after.cpu - before.cpu) * 1000), mainThreadTaskMs: Math.round((after.tasks - before.tasks) * 1000) };
  test.info().annotations.push({ type: 'round responsiveness', description: JSON.stringify(report) });
  console.log(`studio e2e: ${JSON.stringify(report)}`);

  // 4. Compare base and Round 1 on two held-out prompts with the same seeds, then a blind A/B test
  await openTab(page, 'Compare');
  await page.getByRole('spinbutton', { name: 'Held-out prompts' }).fill('2');
  await page.getByRole('button', { name: 'Evaluate base and round 1' }).click();
  await expect(page.getByRole('table')).toContainText('Round 1', { timeout: 300_000 });
  await expect(page.getByRole('img', { name: 'World metrics per round' })).toHaveAttribute('data-points', '2');
  const pairLabels = await page.locator('canvas[aria-label^="Base, "]').count();
  expect(pairLabels).toBe(2);
  await page.getByRole('button', { name: 'Start blind test of Round 1 vs base' }).click();
  await expect(page.getByTestId('blind-position')).toContainText('Comparison 1 of 2');
  await page.keyboard.press('1');
  await expect(page.getByTestId('blind-position')).toContainText('Comparison 2 of 2');
  await page.keyboard.press('t');
  await expect(page.getByTestId('blind-result')).toContainText('of 2 comparisons against the base (95 % interval');
  await page.getByRole('button', { name: 'Close blind test' }).click();

  // 5. Export LoRA: one zip with the peft folder and the diffusers file of the cumulative LoRA
  await openTab(page, 'Export');
  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export LoRA' }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const zip = await readZip(new Uint8Array(await readFile(await download.path())), download.suggestedFilename());
  expect([...zip.keys()]).toEqual(expect.arrayContaining(['adapter_model.safetensors', 'adapter_config.json', 'pytorch_lora_weights.safetensors']));
  const config = JSON.parse(new TextDecoder().decode(zip.get('adapter_config.json')));
  expect(config.peft_type).toBe('LORA');
  const rank = config.r as number;
  expect(rank).toBe(4);
  for (const [file, prefix] of [['adapter_model.safetensors', 'base_model.model.'], ['pytorch_lora_weights.safetensors', 'transformer.']] as const) {
    const parsed = parseSafetensors(zip.get(file)!, file);
    expect(parsed.metadata.format).toBe('pt');
    const names = [...parsed.tensors.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith(prefix) && /\.lora_[AB]\.weight$/.test(n))).toBe(true);
    const q = `${prefix}transformer_blocks.0.attn_spatial.to_q`;
    const a = parsed.tensors.get(`${q}.lora_A.weight`)!;
    const b = parsed.tensors.get(`${q}.lora_B.weight`)!;
    expect(a.shape[0]).toBe(rank); // [r, in]
    expect(b.shape[1]).toBe(rank); // [out, r]
    expect(a.shape[1]).toBe(b.shape[0]); // a square projection: in = out = width
    const nonZeroB = names.filter((n) => n.endsWith('lora_B.weight')).some((n) => toFloat32(parsed.tensors.get(n)!, n, file).some((v) => v !== 0));
    expect(nonZeroB).toBe(true);
  }

  // The preference dataset: VideoFolder zip, one metadata row per judgment, H.264 videos (ffmpeg.wasm).
  const datasetStarted = Date.now();
  const datasetPromise = page.waitForEvent('download', { timeout: 300_000 });
  await page.getByRole('button', { name: 'Export dataset' }).click();
  const dataset = await readZip(new Uint8Array(await readFile(await (await datasetPromise).path())), 'dataset.zip');
  const datasetSeconds = (Date.now() - datasetStarted) / 1000;
  const rows = new TextDecoder().decode(dataset.get('metadata.jsonl')).trim().split('\n').map((line) => JSON.parse(line));
  expect(rows.map((r) => r.decision).sort()).toEqual(['left', 'right', 'tie']);
  const mp4s = [...dataset.keys()].filter((k) => k.startsWith('videos/') && k.endsWith('.mp4'));
  expect(mp4s).toHaveLength(6);
  expect(new TextDecoder().decode(dataset.get(mp4s[0])!.subarray(4, 8))).toBe('ftyp');
  await expect(page.getByRole('progressbar', { name: 'Dataset export progress' })).toHaveAttribute('aria-valuenow', '6');
  test.info().annotations.push({ type: 'dataset export', description: `${datasetSeconds.toFixed(1)} s for 6 videos` });

  // One video as a GIF.
  await page.getByRole('combobox', { name: 'Video' }).selectOption({ index: 1 });
  const gifPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download GIF' }).click();
  const gif = await readFile(await (await gifPromise).path());
  expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');

  // 6. reload: judgments, Round 1, the policy and the current tab come back
  await page.reload();
  await waitForEngine(page);
  await expect(page.getByRole('tab', { name: 'Export' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('round')).toHaveAttribute('data-round', '1');
  await openTab(page, 'Rank');
  await expect(page.getByTestId('rank-position')).toHaveText('All 3 pairs judged.');
  await expect(page.getByTestId('judged-counts')).toContainText('left/right better 2');
  await openTab(page, 'Train');
  await expect(page.getByRole('list', { name: 'Round history' }).getByRole('listitem').filter({ hasText: 'Round 1' })).toContainText('completed');
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
