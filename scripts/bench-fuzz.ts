/**
 * Property tests of the file parsers at scale: random mutations of valid safetensors
 * files, zips, LoRA zips and backups, each run through its parser, which must parse cleanly or
 * throw its own named error, within the time limit (scripts/lib/fuzz-targets.ts). CI runs
 * 10,000 per parser (tests/unit/scripts/fuzz-targets.test.ts); this runs as many as asked for, prints a
 * table and writes the numbers as JSON.
 *   npm run bench:fuzz -- [--runs 100000] [--seed 1] [--parsers safetensors,zip,lora-import,backup] [--json runs/bench-fuzz.json]
 * A failure prints fast-check's report (the shrunk input and the error; replay with its seed)
 * and exits 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './lib/args';
import { fuzz, fuzzTargets, type FuzzReport } from './lib/fuzz-targets';

const args = parseArgs(process.argv.slice(2), { runs: '100000', seed: '1', parsers: '', json: 'runs/bench-fuzz.json', timeout: '2000' });
const runs = Number(args.runs);
if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs ${args.runs} is not a positive whole number`);
const targets = fuzzTargets();
const wanted = args.parsers ? args.parsers.split(',') : targets.map((t) => t.name);
for (const name of wanted) if (!targets.some((t) => t.name === name)) throw new Error(`--parsers: unknown parser "${name}" (known: ${targets.map((t) => t.name).join(', ')})`);

const reports: FuzzReport[] = [];
let failed = false;
for (const target of targets.filter((t) => wanted.includes(t.name))) {
  try {
    reports.push(await fuzz(target, { runs, seed: Number(args.seed), timeoutMs: Number(args.timeout) }));
  } catch (e) {
    failed = true;
    console.error(`${target.name}: FAILED\n${(e as Error).message}`);
  }
}

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
console.log(row(['parser', 'runs', 'parsed', 'refused (named error)', 'seconds', 'µs per run', 'slowest ms', 'ArrayBuffer growth MiB']));
console.log(row(Array(8).fill('---')));
for (const r of reports) {
  console.log(row([r.parser, r.runs, r.parsed, r.refused, (r.ms / 1000).toFixed(1), ((r.ms * 1000) / r.runs).toFixed(0), r.slowestMs.toFixed(1), r.memoryGrowthMiB.toFixed(1)]));
}
const out = { date: new Date().toISOString(), node: process.version, seed: Number(args.seed), runsPerParser: runs, reports, failed };
fs.mkdirSync(path.dirname(args.json), { recursive: true });
fs.writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${args.json}`);
if (failed) process.exit(1);
