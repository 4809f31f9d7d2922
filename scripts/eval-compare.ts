/**
 * Compare `npm run eval` reports of the same held-out set, paired item by item against the first:
 *   npm run eval:compare -- docs/eval-small-euler24.json docs/eval-small-dpm2m16.json [more.json …] [--json FILE]
 * Prints a markdown table (scripts/lib/eval-compare.ts says what each column is).
 */
import fs from 'node:fs';
import path from 'node:path';
import { compareEvals, compareTable, type EvalReport } from './lib/eval-compare';

function main(): void {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--json');
  const json = at >= 0 ? argv.splice(at, 2)[1] : '';
  const reports = argv.map((file) => {
    let report: EvalReport;
    try {
      report = JSON.parse(fs.readFileSync(file, 'utf8')) as EvalReport;
    } catch (e) {
      throw new Error(`eval-compare: cannot read ${file} (${e instanceof Error ? e.message : e}). Give eval reports written by npm run eval -- --json FILE.`, { cause: e });
    }
    if (!Array.isArray(report.perSample)) throw new Error(`eval-compare: ${file} has no perSample list; it is not an npm run eval report.`);
    const name = report.sampler ? `${report.sampler} ${report.steps}` : path.basename(file);
    return { name, report };
  });
  const compared = compareEvals(reports);
  console.log(compareTable(compared));
  if (json) fs.writeFileSync(json, JSON.stringify(compared, null, 2));
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
