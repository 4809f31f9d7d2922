// Bounds on text and on what the page sends: a prompt longer than 200 characters or
// more than 500 prompts is one short error, alerts are at most 2,000 characters, and Compare's
// sampler settings are checked as Generate's are before anything reaches the engine.
import { describe, expect, it } from 'vitest';
import { checkPrompts, describeProblems } from '../../../../src/app/lib/prompts';
import { MAX_ALERT_CHARS } from '../../../../src/app/store/engine-slice';
import { startStudio } from '../../fixtures/app';

const PROMPT = 'a red circle moves left';

describe('the prompt box', () => {
  it('a 1 MB line is one short problem, found without parsing it (took 2.7–6.2 s)', () => {
    const check = checkPrompts(`${PROMPT}\n${'a red circle '.repeat(80_000)}`);
    expect(check.prompts).toEqual([PROMPT]);
    expect(check.problems).toEqual([expect.objectContaining({ line: 2, message: 'this line is 1039999 characters long; a prompt has at most 200' })]);
    expect(check.problems[0].text.length).toBeLessThanOrEqual(41);
    expect(describeProblems(check).length).toBeLessThan(200); // was a 2 MB alert
  });

  it('more than 500 prompts is one short problem', () => {
    const check = checkPrompts(Array(501).fill(PROMPT).join('\n'));
    expect(check.prompts).toEqual([]);
    expect(check.problems).toHaveLength(1);
    expect(describeProblems(check)).toBe('Nothing was generated: fix or remove this line.\nLine 501: 501 prompts are more than the 500 one batch takes; split them into batches');
    expect(checkPrompts(Array(500).fill(PROMPT).join('\n\n')).prompts).toHaveLength(500); // blank lines do not count
  });

  it('an alert lists the first ten bad lines and counts the rest', () => {
    const text = describeProblems(checkPrompts(Array(300).fill('a magenta circle moves left').join('\n')));
    expect(text.split('\n')).toHaveLength(12);
    expect(text).toMatch(/Line 10: .*\n…and 290 more lines with problems\.$/);
  });
});

describe('alerts', () => {
  it('are cut to 2,000 characters with a note of what was left out; short ones are kept whole', async () => {
    const { store } = await startStudio();
    store.getState().pushAlert('input', `x${'y'.repeat(2_000_000)}`);
    const [alert] = store.getState().alerts;
    expect(alert.message.length).toBeLessThanOrEqual(MAX_ALERT_CHARS);
    expect(alert.message).toMatch(/^xy+ … \(1,998,061 more characters not shown\)$/);
    store.getState().pushAlert('input', 'short');
    expect(store.getState().alerts[1].message).toBe('short');
  });
});

describe('sampler settings are checked on the page before a request is sent', () => {
  it('Compare: steps 0, 500 or guidance NaN are an alert, and nothing is sampled', async () => {
    const studio = await startStudio();
    for (const setup of [{ count: 2, steps: 0, guidance: 2 }, { count: 2, steps: 500, guidance: 2 }, { count: 2, steps: 4, guidance: NaN }]) {
      await studio.store.getState().evaluateRounds([0], setup);
    }
    expect(studio.engine.sentOf('generate')).toHaveLength(0);
    const messages = studio.store.getState().alerts.map((a) => a.message);
    expect(messages).toEqual([
      'Compare: Sampler steps must be a whole number from 1 to 200 (got 0): change it on the Generate tab.',
      'Compare: Sampler steps must be a whole number from 1 to 200 (got 500): change it on the Generate tab.',
      'Compare: Guidance must be a number from 0 to 50 (got NaN): change it on the Generate tab.',
    ]);
    await studio.store.getState().evaluateRounds([0], { count: 2, steps: 3, guidance: 2 });
    expect(studio.engine.sentOf('generate')).toHaveLength(2);
  });

  it('Generate: the same check in the store', async () => {
    const studio = await startStudio();
    const made = await studio.store.getState().generatePairs({ prompts: [PROMPT], pairsPerPrompt: 1, steps: 3, guidance: Infinity, firstFrame: { mode: 'none' } });
    expect(made).toBe(0);
    expect(studio.engine.sentOf('generate')).toHaveLength(0);
    expect(studio.store.getState().alerts[0].message).toMatch(/^Guidance must be a number from 0 to 50 \(got Infinity\)/);
  });
});
