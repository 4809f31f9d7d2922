// Property tests of the file parsers: 10,000 random mutations of valid files per
// parser (FUZZ_RUNS overrides), each parsed cleanly or refused with the parser's named error,
// ArrayBuffer memory flat; a run that does not end within the harness's hang guard fails it.
// How long they take is measured by `npm run bench:fuzz` (more runs), never asserted here.
import { describe, expect, it } from 'vitest';
import { fuzz, fuzzTargets, mutateBytes, mutateJson, type FuzzTarget } from '../../../scripts/lib/fuzz-targets';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const targets = fuzzTargets();

describe('fuzzing the parsers', () => {
  for (const target of targets) {
    it(`${target.name}: ${RUNS} mutations end in a clean parse or a ${target.named.name}, memory flat`, async () => {
      const report = await fuzz(target, { runs: RUNS, seed: 16 });
      expect(report.runs).toBe(RUNS);
      expect(report.refused).toBeGreaterThan(RUNS / 2); // the mutations really break the files
      expect(report.parsed).toBeGreaterThan(0); // …and some survive, so the parser is exercised to the end
      expect(report.memoryGrowthMiB).toBeLessThan(64);
    }, 300_000);
  }
});

describe('the fuzzing harness', () => {
  it('mutations are deterministic and stay within the file', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(mutateBytes(bytes, [{ op: 'flip', at: 33, bit: 0 }])[1]).toBe(0);
    expect(mutateBytes(bytes, [{ op: 'cut', at: 10 }])).toHaveLength(10);
    expect(mutateBytes(bytes, [{ op: 'u32', at: 4, value: 2 ** 30 }]).subarray(4, 8)).toEqual(Uint8Array.from([32, 0, 0, 0])); // the length
    expect(mutateBytes(bytes, [{ op: 'copy', from: 0, at: 32, length: 4 }])).toHaveLength(36);
    expect(mutateJson({ a: [1, { b: 2 }] }, [{ at: 4, value: 'x', remove: false }])).toEqual({ a: [1, { b: 'x' }] });
    expect(mutateJson({ a: 1, b: 2 }, [{ at: 1, value: null, remove: true }])).toEqual({ b: 2 });
  });

  it('fails, naming the input and the error, when a parser throws anything but its named error', async () => {
    const [safetensors] = targets;
    // A parser with a planted bug: a TypeError on any file whose 9th byte was changed.
    const buggy: FuzzTarget = {
      ...safetensors,
      parse: async (bytes) => {
        if (bytes[8] !== safetensors.seeds[0][8]) (null as unknown as { x: () => void }).x();
        return safetensors.parse(bytes);
      },
    };
    const error = await fuzz(buggy, { runs: 2000, seed: 3 }).then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(/^safetensors parser: Property failed after \d+ tests\n\{ seed: 3, .*\nCounterexample: /s);
    expect(error?.message).toMatch(/\nGot TypeError: Cannot read properties of null/);
  });

  it('fails when a parse hangs past the time limit', async () => {
    const [, zip] = targets;
    const hanging: FuzzTarget = { ...zip, parse: () => new Promise(() => undefined) };
    const error = await fuzz(hanging, { runs: 5, seed: 1, timeoutMs: 50 }).then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(/^zip parser: Property failed after 1 tests/);
    expect(error?.message).toMatch(/Got Error: Property timeout: exceeded limit of 50 milliseconds/);
  });
});
