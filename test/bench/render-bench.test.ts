/**
 * Smoke test of `npm run bench:render`: a tiny corpus through all four
 * renderers at both rates, plus shrunken hostile inputs, a short reasoning
 * run and two sends timed to their first painted token, in real Chromium,
 * and through the widget and plain text in Firefox (--browser firefox).
 * Checks that every run finishes with every delta received and that the JSON
 * report has its documented shape. No timing is asserted: timings belong to
 * the benchmark's report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const RUN_FIELDS = [
  'corpusBytes',
  'totalMainThreadMs',
  'longestTaskMs',
  'tasksOver50ms',
  'p95FrameIntervalMs',
  'p95RenderWorkMs',
  'lagAfterLastFrameMs',
] as const;

interface Run {
  corpus: string;
  rate: number | 'max';
  renderer: string;
  finished: boolean;
  chunks: number;
  deltasReceived: number;
  pageErrors: string[];
  [field: string]: unknown;
}

/** Runs bench/render/run.mjs with `args` (and --out `out`); fails with its output unless it exits 0. */
async function runBench(args: string[], out: string): Promise<string> {
  const child = spawn(process.execPath, ['bench/render/run.mjs', ...args, '--out', out], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(code, 0, output);
  assert.match(output, /\| corpus \| rate \| renderer \|/, 'prints a table');
  return output;
}

describe('npm run bench:render (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'render-bench-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('in Firefox: the widget and plain text, with main-thread time and the ratio between them', async () => {
    const out = join(dir, 'render-firefox.json');
    await runBench(
      [
        '--browser',
        'firefox',
        '--corpora',
        '1',
        '--rates',
        '1000',
        '--renderers',
        'widget,plain',
        '--hostile',
        'none',
        '--long',
        'none',
        '--reasoning',
        'none',
      ],
      out,
    );
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(typeof report.machine.firefox, 'string', 'names the Firefox version');
    const runs = report.runs as Run[];
    assert.deepEqual(
      runs.map((r) => `${r.rate} ${r.renderer}`),
      ['1000 widget', '1000 plain'],
    );
    for (const run of runs) {
      const name = `${run.rate} ${run.renderer}`;
      assert.equal(run.finished, true, `${name} finished`);
      assert.equal(run.deltasReceived, run.chunks, `${name} received every delta`);
      assert.deepEqual(run.pageErrors, [], `${name} had no page error`);
      assert.ok((run.totalMainThreadMs as number) > 0, `${name}: main-thread time measured`);
      for (const field of ['p95FrameIntervalMs', 'p95RenderWorkMs', 'lagAfterLastFrameMs', 'firstPaintMs'])
        assert.equal(typeof run[field], 'number', `${name}: ${field}`);
      // Long tasks come from Chromium's trace: none to report in Firefox.
      assert.equal(run.longestTaskMs, null, `${name}: no long-task figure`);
    }
    assert.equal(typeof report.summary[0].ratioVsPlain, 'number', 'the ratio to plain text');
    assert.equal(report.firstPaint, null, 'Send → first paint is measured in Chromium only');
  });

  it('runs a tiny corpus through all four renderers and writes the documented JSON', async () => {
    const out = join(dir, 'render.json');
    await runBench(
      [
        '--corpora',
        '1',
        '--rates',
        '1000,max',
        '--cap',
        '60',
        '--naive-cap',
        '60',
        '--hostile',
        'small',
        '--long',
        '3',
        '--long-rate',
        '2000',
        // Three answers of 5-8 KB: the welcome carries the newest one or two, history pages the rest.
        '--welcome-history-chars',
        '12000',
        '--reasoning',
        '2,1',
        '--first-paint',
        '2',
      ],
      out,
    );
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(report.benchmark, 'render');
    assert.equal(typeof report.date, 'string');
    assert.equal(typeof report.machine.cpus, 'number');
    const runs = report.runs as Run[];
    assert.deepEqual(
      runs.map((r) => `${r.rate} ${r.renderer}`),
      [
        '1000 widget',
        '1000 naive-chunk',
        '1000 naive-frame',
        '1000 plain',
        'max widget',
        'max naive-chunk',
        'max naive-frame',
        'max plain',
      ],
    );
    for (const run of runs) {
      const name = `${run.rate} ${run.renderer}`;
      assert.equal(run.finished, true, `${name} finished`);
      assert.equal(run.deltasReceived, run.chunks, `${name} received every delta`);
      assert.deepEqual(run.pageErrors, [], `${name} had no page error`);
      for (const field of RUN_FIELDS) assert.equal(typeof run[field], 'number', `${name}: ${field}`);
    }
    assert.equal(report.summary.length, 2);
    for (const summary of report.summary) {
      for (const key of ['perChunk', 'perFrame'])
        assert.equal(typeof summary.ratioVsNaive[key], 'number', key);
      assert.equal(typeof summary.ratioVsPlain, 'number');
      assert.ok(Object.keys(summary.targets).length >= 7);
    }
    assert.deepEqual(
      report.hostile.map((h: { input: string }) => h.input),
      [
        'nested quotes (10,000)',
        'nested list levels (10,000)',
        "'**a**' x 50,000",
        '5 MB single line',
        '128 KB word with no break',
      ],
    );
    for (const h of report.hostile) {
      assert.equal(h.finished, true, `${h.input} finished`);
      assert.equal(typeof h.longestTaskMs, 'number', `${h.input}: longestTaskMs`);
    }
    // Reasoning, then the answer: the widget against plain text at both rates, with the answer runs' targets.
    const reasoningRuns = report.reasoning.runs as Run[];
    assert.deepEqual(
      reasoningRuns.map((r) => `${r.rate} ${r.renderer}`),
      ['1000 widget', '1000 plain', 'max widget', 'max plain'],
    );
    for (const run of reasoningRuns) {
      const name = `reasoning ${run.rate} ${run.renderer}`;
      assert.equal(run.finished, true, `${name} finished`);
      assert.ok((run.reasoningBytes as number) > 2000, `${name}: the reasoning streamed first`);
      assert.equal(run.deltasReceived, run.chunks, `${name} received every delta`);
      assert.deepEqual(run.pageErrors, [], `${name} had no page error`);
      for (const field of RUN_FIELDS) assert.equal(typeof run[field], 'number', `${name}: ${field}`);
    }
    for (const summary of report.reasoning.summary) {
      assert.equal(typeof summary.ratioVsPlain, 'number');
      assert.deepEqual(Object.keys(summary.targets), [
        'main thread ≤ 1.3x plain text',
        'p95 frame interval ≤ 17 ms',
        'no task over 50 ms',
      ]);
    }
    // Send → first painted token, through the real dev server: the mock's first token is reasoning.
    const firstPaint = report.firstPaint;
    assert.equal(firstPaint.sends, 2);
    assert.deepEqual(firstPaint.firstTokenKinds, ['reasoning']);
    assert.deepEqual(firstPaint.pageErrors, []);
    for (const field of ['p50Ms', 'p95Ms', 'warmUpMs', 'p50ToDomMs'])
      assert.ok(firstPaint[field] > 0, `first paint: ${field}`);
    assert.ok(
      firstPaint.p50ToDomMs <= firstPaint.p50Ms,
      'the token is in the DOM before its frame is painted',
    );
    // A conversation of 3 answers: reopened, the next answer streamed below it, the log swept.
    const long = report.longConversations;
    assert.equal(long.rate, 2000);
    assert.deepEqual(
      long.runs.map((r: { answers: number }) => r.answers),
      [3],
    );
    const [three] = long.runs;
    assert.deepEqual(three.pageErrors, [], 'no page error');
    assert.equal(three.emptyLog.finished, true, 'the answer in an empty log finished');
    assert.ok(
      three.welcomeAnswers >= 1 && three.welcomeAnswers < 3,
      'the welcome left the oldest answers out',
    );
    assert.ok(three.welcomeBytes < three.historyAnswerBytes, 'the welcome carried part of the history');
    for (const open of ['firstOpen', 'reload'])
      for (const field of ['welcomeToNewestAnswerMs', 'welcomeToAllWelcomedMs', 'longestTaskMs'])
        assert.equal(typeof three[open][field], 'number', `${open}: ${field}`);
    assert.equal(three.stream.finished, true, 'the next answer finished');
    assert.equal(three.stream.deltasReceived, long.chunks, 'every delta of it arrived');
    assert.equal(typeof three.stream.ratioToEmptyLog, 'number', 'its cost against the empty log');
    assert.equal(three.sweep.finished, true, 'the sweep reached the first answer and came back');
    assert.ok(three.sweep.historyPages >= 1, 'older answers came in history pages');
    assert.ok(three.sweep.domNodesAfter > three.domNodes, 'the pages added them to the log');
    assert.ok(three.sweep.scrolledPx > 0, 'the sweep scrolled');
    assert.equal(typeof three.sweep.p95FrameIntervalMs, 'number', 'sweep: p95 frame');
    // Frames over 17 ms in each part of the sweep: every frame counted once, in the parts it went through.
    const parts = three.sweep.slowFrames as Record<string, { slow: number; frames: number }>;
    assert.deepEqual(Object.keys(parts).sort(), ['down', 'up', 'wait'], 'up, waiting for pages, down');
    assert.equal(
      Object.values(parts).reduce((sum, p) => sum + p.frames, 0),
      three.sweep.frames,
      'the parts add up to the sweep',
    );
  });
});
