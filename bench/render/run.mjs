/**
 * npm run bench:render — how much the browser's main thread pays to show a
 * streamed markdown answer, through four renderers fed the same way:
 *
 *   widget       <ai-stream-chat> (dist/ai-stream-chat.js), its real protocol client
 *   naive-chunk  on every delta: marked.parse + DOMPurify.sanitize + innerHTML of the whole answer
 *   naive-frame  the same, at most once per animation frame
 *   plain        each delta appended as a text node to a pre-wrap block (a new block at each
 *                blank line): the lower bound
 *
 * One HTTP server on 127.0.0.1 (port 0) serves the pages and runs the real
 * chat server (dist/node) with a token source that streams a fixed corpus in
 * model-sized chunks (~4 characters, one `delta` frame each), at a fixed rate
 * or as fast as possible. Every renderer follows the bottom the same way (page.js).
 * Main-thread time is the renderer's CDP Performance.getMetrics TaskDuration;
 * long tasks come from a Chromium trace (top-level tasks of the page's
 * renderer main thread). Writes bench/results/render.json and prints a table.
 *
 * With --browser firefox it runs in Firefox ESR (puppeteer-core, WebDriver
 * BiDi), which has neither: main-thread time there is the CPU time of the
 * main threads of Firefox's web content processes (Linux /proc, schedstat),
 * and there is no long-task or script/style/layout figure. Frame intervals,
 * render work and lag come from the page, the same in both.
 *
 * Long conversations (issue 21): the widget opens a conversation of 25, 100
 * and 200 answered questions (answers of 5–8 KB of the same mixed markdown;
 * the welcome carries the newest up to the server's default bound, or, with
 * --welcome-history-chars all, every one), first in a page the browser has
 * not shown before, then again as the reader reloads that tab: from the
 * welcome's arrival to the newest answer, and to the oldest the welcome
 * carries, in the DOM, with the longest task meanwhile; then an 8 KB answer
 * streams at 250 tokens/s below that history (main-thread time against the
 * same answer in an empty log, frame p95, long tasks); then the log is swept
 * from the bottom to the top, where it waits for history pages until the
 * first answer is in, and back, one view height per frame (frame p95, long
 * tasks, pages).
 *
 * Reasoning (issue 16): the widget and plain text stream about 100 KB of
 * reasoning (the same mixed markdown; the widget renders it in its open
 * disclosure, plain text in a box of its own) and then 50 KB of answer (the
 * widget closes the disclosure, plain text removes the box), at each rate,
 * with the same figures and targets as the answer runs.
 *
 * Send → first painted token (Chromium): the widget on the real dev server
 * (dist/node/cli/cli.js --mock-parts --rate 200: the first token, reasoning,
 * comes at once), a question typed and sent with Enter, N times: from the
 * keydown's timeStamp to the end of the frame that painted the new answer's
 * first text (page.js, benchArmFirstPaint).
 *
 * Flags: --browser chromium|firefox, --quick (10 and 50 KB, shorter caps), --corpora 10,50,200 (KB; none),
 * --reasoning 100,50 (KB of reasoning, KB of answer; none), --first-paint <sends> (50; none),
 * --rates 1000,max, --renderers a,b, --cap <s> (wall time per run, 120),
 * --naive-cap <s> (wall time of a naive-chunk run at a fixed rate, 900),
 * --hostile full|small|none, --long 25,100,200 (answers of history; none),
 * --long-rate <tokens/s> (250), --welcome-history-chars <chars>|all (the server default), --out <file>,
 * --delta-window-ms <ms> (the server's delta window, 0: a delta per chunk),
 * --no-compact (the widget's hello without `compact`: full delta frames).
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import WebSocket from 'ws';
import { firefoxLaunchOptions } from '../../scripts/browser-engines.mjs';
import { startCli } from '../../scripts/start-cli.mjs';
import { CHROMIUM_ARGS, ensureChromium, ensureFirefox } from '../../scripts/system-deps.mjs';
import { fixedChunks, hostileInputs, makeCorpus, SENTINEL, tokenize } from './corpus.mjs';

const root = new URL('../..', import.meta.url).pathname;
const RENDERERS = ['widget', 'naive-chunk', 'naive-frame', 'plain'];

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const value = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  const args = {
    browser: value('--browser', 'chromium'),
    quick,
    corpora: value('--corpora', quick ? '10,50' : '10,50,200')
      .split(',')
      .filter((k) => k !== 'none')
      .map(Number),
    rates: value('--rates', '1000,max')
      .split(',')
      .map((r) => (r === 'max' ? Number.POSITIVE_INFINITY : Number(r))),
    renderers: value('--renderers', RENDERERS.join(',')).split(','),
    capMs: Number(value('--cap', quick ? '40' : '120')) * 1000,
    // Long enough that naive-chunk's main-thread time at 200 KB and 1000 tok/s bounds the
    // "20x less than naive" target even though it cannot finish (it is O(n²)).
    naiveCapMs: Number(value('--naive-cap', quick ? '40' : '900')) * 1000,
    hostile: value('--hostile', quick ? 'none' : 'full'),
    long: value('--long', quick ? '25' : '25,100,200')
      .split(',')
      .filter((n) => n !== 'none')
      .map(Number),
    longRate: Number(value('--long-rate', '250')),
    welcomeHistoryChars: value('--welcome-history-chars', 'default'),
    reasoning: value('--reasoning', quick ? '20,10' : '100,50')
      .split(',')
      .filter((k) => k !== 'none')
      .map(Number),
    firstPaintSends: Number(value('--first-paint', quick ? '20' : '50').replace('none', '0')),
    out: value('--out', join(root, 'bench/results/render.json')),
    deltaWindowMs: Number(value('--delta-window-ms', '0')),
    compact: !argv.includes('--no-compact'),
  };
  if (!['chromium', 'firefox'].includes(args.browser))
    throw new TypeError('--browser is chromium or firefox');
  for (const r of args.renderers) if (!RENDERERS.includes(r)) throw new TypeError(`unknown renderer ${r}`);
  if (args.corpora.some((k) => !(k > 0))) throw new TypeError('--corpora takes sizes in KB, e.g. 10,50,200');
  if (args.rates.some((r) => !(r > 0))) throw new TypeError('--rates takes tokens/s or max, e.g. 1000,max');
  if (!(args.deltaWindowMs >= 0)) throw new TypeError('--delta-window-ms takes milliseconds, e.g. 16');
  if (!(args.capMs > 0)) throw new TypeError('--cap takes seconds');
  if (!(args.naiveCapMs > 0)) throw new TypeError('--naive-cap takes seconds');
  if (!['full', 'small', 'none'].includes(args.hostile))
    throw new TypeError('--hostile is full, small or none');
  if (args.long.some((n) => !(n > 0 && Number.isInteger(n))))
    throw new TypeError('--long takes numbers of answers, e.g. 25,100,200, or none');
  if (!(args.longRate > 0)) throw new TypeError('--long-rate takes tokens/s');
  if (!/^(?:default|all|[1-9]\d*)$/.test(args.welcomeHistoryChars))
    throw new TypeError('--welcome-history-chars takes characters, default (the server default) or all');
  if (!(args.reasoning.length === 0 || (args.reasoning.length === 2 && args.reasoning.every((k) => k > 0))))
    throw new TypeError('--reasoning takes KB of reasoning and KB of answer, e.g. 100,50, or none');
  if (!(Number.isInteger(args.firstPaintSends) && args.firstPaintSends >= 0))
    throw new TypeError('--first-paint takes a number of sends, or none');
  return args;
}

const args = parseArgs(process.argv.slice(2));
for (const file of ['dist/ai-stream-chat.js', 'dist/node/server/chat-server.js', 'dist/node/cli/cli.js']) {
  if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run npm run build first`);
}
const { createChatServer } = await import(join(root, 'dist/node/server/chat-server.js'));
const { serveStatic } = await import(join(root, 'dist/node/server/http/static-files.js'));

// ---- the token source: streams the answer registered under the prompt -----

/** prompt → { chunks, rate, lastSentWall } */
const answers = new Map();
/** Bumped after each run, so a generation still running for a closed page stops. */
let generation = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const source = {
  async *generate({ messages }) {
    const mine = generation;
    const answer = answers.get(messages.at(-1)?.content);
    if (!answer) throw new Error('unknown benchmark prompt');
    const { chunks, rate } = answer;
    const start = performance.now();
    let i = 0;
    while (i < chunks.length && mine === generation) {
      const due = Number.isFinite(rate)
        ? Math.min(chunks.length, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
        : Math.min(chunks.length, i + 64);
      while (i < due) yield chunks[i++];
      answer.lastSentWall = Date.now();
      if (i < chunks.length) await (Number.isFinite(rate) ? sleep(1) : new Promise(setImmediate));
    }
    return { finishReason: 'stop', usage: null };
  },
};

// By default a delta per chunk (no delta window): the renderers are measured per delta, as in every earlier run.
// A long conversation's welcome carries what the server's default bound lets it (the rest comes in history
// pages as the log is swept up), or, with --welcome-history-chars all, the whole history (the worst case).
const welcomeHistoryChars =
  args.welcomeHistoryChars === 'default'
    ? undefined
    : args.welcomeHistoryChars === 'all'
      ? 64 * 1024 * 1024
      : Number(args.welcomeHistoryChars);
const chat = createChatServer({
  source,
  maxTextLength: 100,
  heartbeatMs: 600_000,
  deltaWindowMs: args.deltaWindowMs,
  maxHistoryMessages: 1000,
  welcomeHistoryChars,
  // Filling a long conversation sends hundreds of messages in a row.
  rateLimit: { burst: 100_000, perSecond: 100_000 },
});
const mounts = {
  '/dist/': join(root, 'dist'),
  '/bench/': join(root, 'bench/render'),
  '/vendor/marked/': join(root, 'node_modules/marked/lib'),
  '/vendor/dompurify/': join(root, 'node_modules/dompurify/dist'),
};
const http = createServer((request, response) => {
  if (chat.handleRequest(request, response)) return;
  // Cross-origin isolated, so performance.now() in the page has 5 µs resolution, not 100 µs:
  // the per-frame work is a sum of many short callbacks.
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  serveStatic(mounts, request, response).then((served) => {
    if (!served) response.writeHead(404).end();
  });
});
chat.attach(http);
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const base = `http://127.0.0.1:${http.address().port}`;

const browser =
  args.browser === 'firefox'
    ? await puppeteer.launch(firefoxLaunchOptions(ensureFirefox()))
    : await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
const browserCdp = args.browser === 'chromium' ? await browser.newBrowserCDPSession() : undefined;
const browserVersion = await browser.version();

// ---- measuring ----------------------------------------------------------------

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (x, digits = 1) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

/**
 * The user-timing mark the page sets when a run starts and at every
 * benchFinished() poll (page.js): it names the page's thread in the trace,
 * even when a long run's trace buffer has dropped its first events.
 */
const PAGE_MARK = 'ai-stream-chat-bench-page';
/** The mark the page sets when a welcome arrives (page.js): tasks before it are the page loading. */
const WELCOME_MARK = 'ai-stream-chat-bench-welcome';

/**
 * Records a trace of top-level tasks ("toplevel" category) while `body` runs,
 * keeping only task durations per thread, and returns the top-level tasks of
 * the page's renderer main thread: the one that recorded PAGE_MARK. Other
 * renderers run too (Chromium loads its new-tab page in one, with module
 * evaluations of 100 ms and more), so "the busiest renderer" is not a safe
 * guess on a short run.
 */
async function traceTasks(body) {
  const perThread = new Map();
  let pageThread;
  let welcomeTs;
  const onData = ({ value }) => {
    for (const e of value) {
      const key = `${e.pid}:${e.tid}`;
      if (e.name === PAGE_MARK) pageThread = key;
      else if (e.name === WELCOME_MARK) welcomeTs ??= e.ts;
      else if (e.ph === 'X' && typeof e.dur === 'number' && /RunTask$/.test(e.name)) {
        const list = perThread.get(key) ?? [];
        if (list.length === 0) perThread.set(key, list);
        list.push(e.ts, e.dur);
      }
    }
  };
  browserCdp.on('Tracing.dataCollected', onData);
  await browserCdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: ['toplevel', 'blink.user_timing'],
      recordMode: 'recordContinuously',
    },
  });
  let result;
  try {
    result = await body();
  } finally {
    const complete = new Promise((resolve) => browserCdp.once('Tracing.tracingComplete', resolve));
    await browserCdp.send('Tracing.end');
    await complete;
    browserCdp.off('Tracing.dataCollected', onData);
  }
  if (!pageThread) throw new Error(`the trace has no ${PAGE_MARK} mark: cannot tell the page's thread`);
  const list = perThread.get(pageThread) ?? [];
  // Top-level tasks only (a nested run loop reports tasks inside a task).
  const pairs = [];
  for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const tasks = [];
  const afterWelcome = [];
  let end = -1;
  for (const [ts, dur] of pairs) {
    if (ts < end) continue;
    tasks.push(dur / 1000);
    // The task that received the welcome, and every one after it.
    if (welcomeTs !== undefined && ts + dur >= welcomeTs) afterWelcome.push(dur / 1000);
    end = ts + dur;
  }
  return { result, tasks, tasksAfterWelcome: welcomeTs === undefined ? null : afterWelcome };
}

/** The renderer's cumulative main-thread times (ms): all tasks, and the script, style and layout parts of them. */
async function mainThreadTimes(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const ms = (name) => (metrics.find((x) => x.name === name)?.value ?? 0) * 1000;
  return {
    task: ms('TaskDuration'),
    script: ms('ScriptDuration'),
    style: ms('RecalcStyleDuration'),
    layout: ms('LayoutDuration'),
  };
}

/**
 * Firefox: the CPU time (ms) of the main threads of its web content processes
 * (started with -contentproc, of type "tab", for this browser: -parentPid;
 * a fork server, not the browser, is their parent process), from Linux's
 * /proc (schedstat: nanoseconds on CPU). The page's process is one of them;
 * the others idle on about:blank.
 */
function firefoxContentMainThreadMs() {
  const parent = String(browser.process()?.pid);
  let ns = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Forked from the fork server, a content process writes its arguments as one string.
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/[\0 ]/).filter(Boolean);
      if (!argv.includes('-contentproc') || argv.at(-1) !== 'tab') continue;
      if (argv[argv.indexOf('-parentPid') + 1] !== parent) continue;
      // The main thread's task id is the process id.
      ns += Number(readFileSync(`/proc/${entry}/task/${entry}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ns / 1e6;
}

/**
 * A fresh 800×800 page in the benchmark's browser, with what run() needs to
 * measure it: main-thread times, and the page's long tasks where the browser
 * reports them (Chromium's trace).
 */
async function openPage() {
  if (args.browser === 'firefox') {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 800, height: 800 });
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    return {
      errors,
      goto: (url) => page.goto(url),
      reload: () => page.reload(),
      evaluate: (expression) => page.evaluate(expression),
      times: async () => ({ task: firefoxContentMainThreadMs(), script: null, style: null, layout: null }),
      traced: async (body) => ({ result: await body(), tasks: null, tasksAfterWelcome: null }),
      close: () => context.close(),
    };
  }
  const context = await browser.newContext({ viewport: { width: 800, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  let cdp;
  return {
    errors,
    page,
    async goto(url) {
      await page.goto(url);
      cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
    },
    async reload() {
      await page.reload();
      cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
    },
    evaluate: (expression) => page.evaluate(expression),
    times: () => mainThreadTimes(cdp),
    traced: traceTasks,
    close: () => context.close(),
  };
}

/** Evaluates in the page, giving up after `ms` (a swamped main thread may not answer). */
function evaluate(page, expression, ms) {
  return Promise.race([page.evaluate(expression), sleep(ms).then(() => undefined)]);
}

let runCount = 0;

/** Streams `chunks` at `rate` as the answer to a new question on `page` (ready); returns the stream's figures. */
async function measureStream(page, renderer, chunks, rate) {
  const prompt = `bench ${++runCount}`;
  const answer = { chunks, rate, lastSentWall: 0 };
  answers.set(prompt, answer);
  try {
    const wallStart = performance.now();
    const { result, tasks } = await page.traced(async () => {
      const before = await page.times();
      await page.evaluate(
        `benchStart(${JSON.stringify(prompt)}, ${chunks.length}, ${JSON.stringify(SENTINEL)})`,
      );
      let finished = false;
      const capMs = renderer === 'naive-chunk' && Number.isFinite(rate) ? args.naiveCapMs : args.capMs;
      while (!finished && performance.now() - wallStart < capMs) {
        await sleep(200);
        finished = (await evaluate(page, 'benchFinished()', 5000)) === true;
      }
      const wallMs = performance.now() - wallStart;
      const after = await Promise.race([page.times(), sleep(10_000).then(() => null)]);
      const measured = await evaluate(page, 'benchResult()', 10_000);
      const spent = (key) => (after === null || before[key] === null ? null : after[key] - before[key]);
      return {
        finished,
        wallMs,
        mainThreadMs: spent('task'),
        breakdown: { scriptMs: spent('script'), styleMs: spent('style'), layoutMs: spent('layout') },
        measured,
      };
    });
    generation++;
    const m = result.measured;
    const intervals = [];
    for (let i = 1; i < (m?.frameTimes.length ?? 0); i++)
      intervals.push(m.frameTimes[i] - m.frameTimes[i - 1]);
    return {
      renderer,
      finished: result.finished,
      wallMs: round(result.wallMs, 0),
      deltasReceived: m?.deltas ?? null,
      // From the send to the first answer text in the DOM, and to the start of the frame that paints it.
      firstTextMs: round(m?.firstTextMs ?? null),
      firstPaintMs: round(m?.firstPaintMs ?? null),
      totalMainThreadMs: round(result.mainThreadMs, 0),
      scriptMs: round(result.breakdown.scriptMs, 0),
      recalcStyleMs: round(result.breakdown.styleMs, 0),
      layoutMs: round(result.breakdown.layoutMs, 0),
      // Long tasks: Chromium's trace only (null in Firefox).
      traceMainThreadMs: tasks
        ? round(
            tasks.reduce((a, b) => a + b, 0),
            0,
          )
        : null,
      ...taskFigures(tasks),
      frames: intervals.length,
      p95FrameIntervalMs: round(percentile(intervals, 95)),
      p95RenderWorkMs: round(percentile(m?.frameWork ?? [], 95), 2),
      maxRenderWorkMs: round(
        (m?.frameWork ?? []).reduce((a, b) => Math.max(a, b), 0),
        1,
      ),
      lagAfterLastFrameMs: m?.finalAt ? round(m.finalAt - m.lastDeltaAt) : null,
      lagAfterLastSentMs: m?.finalAt && answer.lastSentWall ? m.finalWall - answer.lastSentWall : null,
    };
  } finally {
    generation++;
    answers.delete(prompt);
  }
}

/** The longest task and the count over 50 ms, from Chromium's trace (null in Firefox). */
function taskFigures(tasks) {
  return {
    longestTaskMs: tasks ? round(tasks.reduce((a, b) => Math.max(a, b), 0)) : null,
    tasksOver50ms: tasks ? tasks.filter((t) => t > 50).length : null,
  };
}

/** Streams `chunks` through one renderer in a fresh page; returns the run's figures. */
async function run(renderer, chunks, rate) {
  const page = await openPage();
  try {
    await page.goto(`${base}/bench/page.html?renderer=${renderer}${args.compact ? '' : '&compact=0'}`);
    await page.evaluate('benchReady()');
    return { ...(await measureStream(page, renderer, chunks, rate)), pageErrors: page.errors };
  } finally {
    await page.close();
  }
}

// ---- Send → first painted token ------------------------------------------------------

/** The median of `value` over `samples`, in ms to 0.1. */
const median = (samples, value) => round(percentile(samples.map(value), 50));

/**
 * The dev server's flags: the mock's first token (reasoning) goes out at once,
 * the next ones 5 ms apart, so the reasoning is on screen before the answer
 * text closes it (at "max" the whole answer would arrive before one frame).
 */
const FIRST_PAINT_SERVER = ['--mock-parts', '--rate', '200'];

/**
 * The widget on the real dev server, whose mock source sends its first token
 * (reasoning) at once: `sends` questions typed and sent with Enter, one after
 * the other answer is done, after one warm-up send that is reported apart.
 */
async function firstPaintRun(sends) {
  const server = await startCli(['--port', '0', ...FIRST_PAINT_SERVER]);
  const page = await openPage();
  try {
    await page.goto(`${base}/bench/page.html?renderer=widget&ws=${encodeURIComponent(server.wsUrl)}`);
    await page.evaluate('benchReady()');
    const box = page.page.locator('ai-stream-chat textarea');
    const samples = [];
    for (let i = 0; i <= sends; i++) {
      await page.evaluate('benchArmFirstPaint()');
      await box.fill(`Question ${i + 1}: how do I resume a stream?`);
      await box.press('Enter');
      const sample = await evaluate(page, 'benchFirstPaint()', 15_000);
      if (!sample) throw new Error(`send ${i + 1}: no token painted within 15 s`);
      samples.push(sample);
      // The server's rate limit (10 frames/s) is far; the widget is idle again.
      await sleep(250);
    }
    const [warmUp, ...measured] = samples;
    const ms = (sample) => sample.paintedAt - sample.sendAt;
    const times = measured.map(ms);
    return {
      sends,
      server: `dist/node/cli/cli.js ${FIRST_PAINT_SERVER.join(' ')}`,
      firstTokenKinds: [...new Set(measured.map((x) => x.kind))],
      p50Ms: round(percentile(times, 50)),
      p95Ms: round(percentile(times, 95)),
      minMs: round(Math.min(...times)),
      maxMs: round(Math.max(...times)),
      warmUpMs: round(ms(warmUp)),
      // From the keydown to the token in the DOM.
      p50ToDomMs: median(measured, (x) => x.tokenAt - x.sendAt),
      // Where the time goes (medians, each step on its own): the keydown's timeStamp to the widget's
      // `send` frame, that to the first delta's arrival, that to the token in the DOM, that to the paint.
      p50StepsMs: {
        keyToSendFrame: median(measured, (x) => x.sentAt - x.sendAt),
        sendFrameToFirstDelta: median(measured, (x) => x.deltaAt - x.sentAt),
        firstDeltaToDom: median(measured, (x) => x.tokenAt - x.deltaAt),
        domToPainted: median(measured, (x) => x.paintedAt - x.tokenAt),
      },
      pageErrors: page.errors,
    };
  } finally {
    await page.close();
    server.child.kill('SIGTERM');
  }
}

// ---- long conversations ---------------------------------------------------------

/** The last word of history answer `i`, so the page can tell when it is in the DOM. */
const historyMarker = (i) => `ZZHISTORY${i}ZZ`;

/** History answer `i`: 5 to 8 KB of the corpus's mixed markdown, ending with its marker. */
function historyAnswer(i) {
  return makeCorpus(5 * 1024 + ((i * 977) % (3 * 1024)), 1000 + i).replace(SENTINEL, historyMarker(i));
}

/**
 * Opens a conversation and asks `turns` questions in turn over a raw
 * WebSocket, each answered at once with its history answer (one delta);
 * returns the conversation's id and the bytes of answer text it holds.
 */
async function fillConversation(turns) {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
  const waiting = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type === 'error') throw new Error(`filling the conversation: ${frame.code}: ${frame.message}`);
    for (const w of [...waiting]) {
      if (w.match(frame)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  });
  const next = (match) => new Promise((resolve) => waiting.push({ match, resolve }));
  await once(socket, 'open');
  const welcomed = next((f) => f.type === 'welcome');
  socket.send(JSON.stringify({ type: 'hello', v: 1 }));
  const { conversationId } = await welcomed;
  let bytes = 0;
  for (let i = 1; i <= turns; i++) {
    const prompt = `history ${conversationId} ${i}`;
    const text = historyAnswer(i);
    bytes += Buffer.byteLength(text);
    answers.set(prompt, { chunks: [text], rate: Number.POSITIVE_INFINITY, lastSentWall: 0 });
    const done = next((f) => f.type === 'done');
    socket.send(JSON.stringify({ type: 'send', clientMsgId: `h${i}`, text: prompt }));
    await done;
    answers.delete(prompt);
  }
  socket.close();
  return { conversationId, bytes };
}

/** The number of the oldest history answer a welcome of the conversation carries (its bound may leave older ones out). */
async function oldestAnswerInWelcome(conversationId) {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'hello', v: 1, conversationId }));
  const [data] = await once(socket, 'message');
  socket.close();
  const welcome = JSON.parse(String(data));
  if (welcome.type !== 'welcome') throw new Error(`expected a welcome, got ${String(data).slice(0, 200)}`);
  const oldest = welcome.history.find((entry) => entry.role === 'assistant');
  const number = Number(/ZZHISTORY(\d+)ZZ/.exec(oldest?.text ?? '')?.[1]);
  if (!Number.isInteger(number))
    throw new Error('the welcome carries no history answer: raise --welcome-history-chars');
  return number;
}

/**
 * Opens `url` on `page` with `navigate` and waits until the answers `markers`
 * name are in the log (or the cap): the welcome's history rendered. Returns
 * when each came after the welcome, and the tasks from the welcome on.
 */
async function openHistory(page, navigate, markers) {
  const wallStart = performance.now();
  const { result: history, tasksAfterWelcome } = await page.traced(async () => {
    await navigate();
    await page.evaluate('benchReady()');
    for (;;) {
      const h = await evaluate(page, 'benchHistory()', 5000);
      if ((h && markers.every((k) => h.markerAt[k])) || performance.now() - wallStart > args.capMs) return h;
      await sleep(100);
    }
  });
  const at = (marker) =>
    history?.markerAt[marker] && history.welcomeAt
      ? round(history.markerAt[marker] - history.welcomeAt, 0)
      : null;
  return {
    welcomeToNewestAnswerMs: at(markers[0]),
    welcomeToAllWelcomedMs: at(markers[1]),
    ...taskFigures(tasksAfterWelcome),
  };
}

/**
 * A long conversation of `turns` answers: the widget opens it in a browser
 * that has not shown the page before (`firstOpen`: its fonts and code cold),
 * then the reader reloads the tab (`reload`); each is over once the welcome's
 * history is in the log. Then the next answer streams below it, then the log
 * is swept to the top, where older answers come in history pages, and back.
 */
async function longRun(turns, chunks, rate) {
  const { conversationId, bytes } = await fillConversation(turns);
  const oldestWelcomed = await oldestAnswerInWelcome(conversationId);
  // The newest answer, the oldest one the welcome carries, the first one (from a history page unless the welcome has it).
  const markers = [historyMarker(turns), historyMarker(oldestWelcomed), historyMarker(1)];
  const reloaded = markers.slice(0, 2);
  const page = await openPage();
  try {
    const url = `${base}/bench/page.html?renderer=widget&conversation=${conversationId}&markers=${markers.join(',')}`;
    const firstOpen = await openHistory(page, () => page.goto(url), reloaded);
    const reload = await openHistory(page, () => page.reload(), reloaded);
    const domNodes = (await evaluate(page, 'benchDomNodes()', 30_000)) ?? null;
    const welcomeBytes = (await evaluate(page, 'benchWelcomeBytes()', 30_000)) ?? null;
    // The same answer in an empty log (a page of its own) right before: measured minutes apart, the
    // two drift with the machine (one build's empty-log runs ranged from 3,066 to 4,258 ms).
    const emptyLog = await run('widget', chunks, rate);
    const stream = await measureStream(page, 'widget', chunks, rate);
    const { result: sweep, tasks: sweepTasks } = await page.traced(() =>
      evaluate(page, `benchSweep(${JSON.stringify(markers[2])})`, 120_000),
    );
    return {
      answers: turns,
      historyAnswerBytes: bytes,
      welcomeBytes,
      welcomeAnswers: turns - oldestWelcomed + 1,
      domNodes,
      emptyLog,
      firstOpen,
      reload,
      stream: {
        ...stream,
        ratioToEmptyLog:
          stream.totalMainThreadMs && emptyLog?.totalMainThreadMs
            ? round(stream.totalMainThreadMs / emptyLog.totalMainThreadMs, 2)
            : null,
      },
      sweep: {
        finished: sweep?.finished ?? false,
        scrolledPx: sweep?.scrolledPx ?? null,
        historyPages: sweep?.historyPages ?? null,
        waitedAtTopMs: round(sweep?.waitedAtTopMs ?? null, 0),
        domNodesAfter: (await evaluate(page, 'benchDomNodes()', 30_000)) ?? null,
        frames: sweep?.intervals.length ?? 0,
        p95FrameIntervalMs: round(percentile(sweep?.intervals ?? [], 95)),
        // Frames over 17 ms (a frame missed at 60 Hz) and frames, in each part of the sweep.
        slowFrames: slowFramesByPhase(sweep),
        ...taskFigures(sweepTasks),
      },
      pageErrors: page.errors,
    };
  } finally {
    await page.close();
  }
}

/** Per part of a sweep (up, wait, down): `slow` frames over 17 ms of `frames`. */
function slowFramesByPhase(sweep) {
  const byPhase = {};
  (sweep?.intervals ?? []).forEach((interval, i) => {
    const phase = sweep.phases?.[i] ?? 'all';
    byPhase[phase] ??= { slow: 0, frames: 0 };
    byPhase[phase].frames++;
    if (interval > 17) byPhase[phase].slow++;
  });
  return byPhase;
}

// ---- the runs -----------------------------------------------------------------

const rateName = (rate) => (Number.isFinite(rate) ? `${rate} tok/s` : 'max');

/** One run of `renderer`, announced on stderr as `label` and reported as it ends; its row: `corpus` fields, then the figures. */
async function measuredRun(label, renderer, chunks, rate, corpus) {
  process.stderr.write(`${label}, ${rateName(rate)}, ${renderer}… `);
  const figures = await run(renderer, chunks, rate);
  process.stderr.write(
    `${figures.finished ? 'done' : 'NOT FINISHED'} in ${figures.wallMs} ms, main thread ${figures.totalMainThreadMs} ms\n`,
  );
  return { ...corpus, chunks: chunks.length, rate: Number.isFinite(rate) ? rate : 'max', ...figures };
}
const startedAt = new Date();
const runs = [];
for (const kb of args.corpora) {
  const text = makeCorpus(kb * 1024);
  const chunks = tokenize(text);
  for (const rate of args.rates) {
    for (const renderer of args.renderers) {
      runs.push(
        await measuredRun(`${kb} KB`, renderer, chunks, rate, {
          corpus: `${kb} KB`,
          corpusBytes: Buffer.byteLength(text),
        }),
      );
    }
  }
}

const hostile = [];
if (args.hostile !== 'none') {
  const inputs = hostileInputs();
  for (const [name, full] of Object.entries(inputs)) {
    // --hostile small: the first 2% of each input (and its sentinel), for the smoke test.
    const text =
      args.hostile === 'small' ? `${full.slice(0, Math.ceil(full.length / 50))}\n\n${SENTINEL}` : full;
    const chunks = fixedChunks(text, 256);
    process.stderr.write(`hostile: ${name}… `);
    const figures = await run('widget', chunks, Number.POSITIVE_INFINITY);
    hostile.push({ input: name, bytes: Buffer.byteLength(text), chunkBytes: 256, rate: 'max', ...figures });
    process.stderr.write(
      `${figures.finished ? 'done' : 'NOT FINISHED'}, longest task ${figures.longestTaskMs} ms\n`,
    );
  }
}

/** About `reasoningKb` of reasoning (the corpus's markdown, without its sentinel), then `answerKb` of answer. */
const reasoningRuns = [];
if (args.reasoning.length === 2) {
  const [reasoningKb, answerKb] = args.reasoning;
  const reasoning = makeCorpus(reasoningKb * 1024, 11).replace(SENTINEL, 'Now the answer.');
  const text = makeCorpus(answerKb * 1024, 12);
  const chunks = [...tokenize(reasoning).map((t) => ({ type: 'reasoning', text: t })), ...tokenize(text)];
  for (const rate of args.rates) {
    for (const renderer of ['widget', 'plain'].filter((r) => args.renderers.includes(r))) {
      reasoningRuns.push(
        await measuredRun(`reasoning ${reasoningKb} KB + ${answerKb} KB`, renderer, chunks, rate, {
          corpus: `${reasoningKb} KB reasoning + ${answerKb} KB`,
          reasoningBytes: Buffer.byteLength(reasoning),
          corpusBytes: Buffer.byteLength(text),
        }),
      );
    }
  }
}

let firstPaint = null;
if (args.firstPaintSends > 0 && args.browser === 'chromium') {
  process.stderr.write(`Send → first painted token, ${args.firstPaintSends} sends… `);
  firstPaint = await firstPaintRun(args.firstPaintSends);
  process.stderr.write(`p50 ${firstPaint.p50Ms} ms, p95 ${firstPaint.p95Ms} ms\n`);
}

const long = [];
const longChunks = tokenize(makeCorpus(8 * 1024, 7));
if (args.long.length > 0) {
  const chunks = longChunks;
  for (const turns of args.long) {
    process.stderr.write(`long: ${turns} answers… `);
    const figures = await longRun(turns, chunks, args.longRate);
    long.push(figures);
    // Each run as it ends, so a long benchmark stopped midway keeps what it measured.
    process.stderr.write(
      `${JSON.stringify({ answers: turns, firstOpen: figures.firstOpen, reload: figures.reload, sweep: figures.sweep, stream: { totalMainThreadMs: figures.stream.totalMainThreadMs, ratioToEmptyLog: figures.stream.ratioToEmptyLog, p95FrameIntervalMs: figures.stream.p95FrameIntervalMs, longestTaskMs: figures.stream.longestTaskMs, tasksOver50ms: figures.stream.tasksOver50ms }, domNodes: figures.domNodes, welcomeBytes: figures.welcomeBytes, welcomeAnswers: figures.welcomeAnswers })}\n`,
    );
    process.stderr.write(
      `newest answer after ${figures.reload.welcomeToNewestAnswerMs} ms, the welcome's ${figures.welcomeAnswers} answers after ${figures.reload.welcomeToAllWelcomedMs} ms; stream ${figures.stream.ratioToEmptyLog}x; sweep ${figures.sweep.historyPages} pages\n`,
    );
  }
}

await browser.close();
await chat.close();
http.close();
http.closeAllConnections?.();

// ---- summary against the targets ----------------------------------------------

function find(corpus, rate, renderer) {
  return runs.find((r) => r.corpus === corpus && r.rate === rate && r.renderer === renderer);
}

function summarize(rateArg) {
  const rate = Number.isFinite(rateArg) ? rateArg : 'max';
  const largest = `${Math.max(...args.corpora)} KB`;
  const widget = find(largest, rate, 'widget');
  if (!widget) return null;
  const naiveChunk = find(largest, rate, 'naive-chunk');
  const naiveFrame = find(largest, rate, 'naive-frame');
  const plain = find(largest, rate, 'plain');
  const ratio = (a, b) =>
    a?.totalMainThreadMs && b?.totalMainThreadMs ? round(a.totalMainThreadMs / b.totalMainThreadMs, 2) : null;
  const mid = args.corpora.includes(50) && largest === '200 KB' ? find('50 KB', rate, 'widget') : undefined;
  const summary = {
    corpus: largest,
    rate,
    /** Naive main-thread time over ours; a lower bound when the naive run did not finish within the cap. */
    ratioVsNaive: {
      perChunk: ratio(naiveChunk, widget),
      perChunkIsLowerBound: naiveChunk ? !naiveChunk.finished : null,
      perFrame: ratio(naiveFrame, widget),
      perFrameIsLowerBound: naiveFrame ? !naiveFrame.finished : null,
    },
    /** Our main-thread time over plain text's. */
    ratioVsPlain: ratio(widget, plain),
    /** Our main-thread time at 200 KB over 50 KB (4x the text). */
    growth200vs50: mid ? ratio(widget, mid) : null,
  };
  const check = (value, ok) => ({ value, met: value === null ? null : ok(value) });
  summary.targets = {
    'main thread ≤ 1.3x plain text': check(summary.ratioVsPlain, (v) => v <= 1.3),
    'p95 frame interval ≤ 17 ms': check(widget.p95FrameIntervalMs, (v) => v <= 17),
    'no task over 50 ms': check(widget.tasksOver50ms, (v) => v === 0),
    'p95 render work < 4 ms': check(widget.p95RenderWorkMs, (v) => v < 4),
    'lag after the last frame < 50 ms': check(widget.lagAfterLastFrameMs, (v) => v < 50),
    '≥ 20x less main thread than naive (per chunk)': check(summary.ratioVsNaive.perChunk, (v) => v >= 20),
    'linear: 200 KB ≤ 5x 50 KB': check(summary.growth200vs50, (v) => v <= 5),
  };
  return summary;
}

/** The reasoning runs against plain text at one rate: the answer runs' targets that apply. */
function summarizeReasoning(rateArg) {
  const rate = Number.isFinite(rateArg) ? rateArg : 'max';
  const widget = reasoningRuns.find((r) => r.rate === rate && r.renderer === 'widget');
  const plain = reasoningRuns.find((r) => r.rate === rate && r.renderer === 'plain');
  if (!widget) return null;
  const ratioVsPlain =
    widget.totalMainThreadMs && plain?.totalMainThreadMs
      ? round(widget.totalMainThreadMs / plain.totalMainThreadMs, 2)
      : null;
  const check = (value, ok) => ({ value, met: value === null ? null : ok(value) });
  return {
    corpus: widget.corpus,
    rate,
    ratioVsPlain,
    targets: {
      'main thread ≤ 1.3x plain text': check(ratioVsPlain, (v) => v <= 1.3),
      'p95 frame interval ≤ 17 ms': check(widget.p95FrameIntervalMs, (v) => v <= 17),
      'no task over 50 ms': check(widget.tasksOver50ms, (v) => v === 0),
    },
  };
}

const report = {
  benchmark: 'render',
  date: startedAt.toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGB: round(totalmem() / 2 ** 30),
    node: process.version,
    // "chromium" or "firefox": its version.
    [args.browser]: browserVersion,
  },
  settings: {
    quick: args.quick,
    capPerRunMs: args.capMs,
    capPerNaiveChunkRunAtFixedRateMs: args.naiveCapMs,
    chunking:
      args.deltaWindowMs > 0
        ? `model-like tokens (bench/render/corpus.mjs tokenize), merged by the server's ${args.deltaWindowMs} ms delta window`
        : 'model-like tokens (bench/render/corpus.mjs tokenize), one delta frame each',
    deltaWindowMs: args.deltaWindowMs,
    compactDeltas: args.compact,
    renderers: args.renderers,
  },
  runs,
  summary: args.rates.map(summarize).filter(Boolean),
  hostile,
  reasoning:
    reasoningRuns.length > 0
      ? { runs: reasoningRuns, summary: args.rates.map(summarizeReasoning).filter(Boolean) }
      : null,
  firstPaint,
  longConversations:
    args.long.length > 0 ? { rate: args.longRate, chunks: longChunks.length, runs: long } : null,
};
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);

// ---- table --------------------------------------------------------------------

const columns = [
  ['corpus', (r) => r.corpus],
  ['rate', (r) => String(r.rate)],
  ['renderer', (r) => r.renderer],
  ['done', (r) => (r.finished ? 'yes' : 'NO (cap)')],
  ['main ms', (r) => r.totalMainThreadMs],
  ['script', (r) => r.scriptMs],
  ['style', (r) => r.recalcStyleMs],
  ['layout', (r) => r.layoutMs],
  ['longest ms', (r) => r.longestTaskMs],
  ['>50ms', (r) => r.tasksOver50ms],
  ['p95 frame', (r) => r.p95FrameIntervalMs],
  ['p95 work', (r) => r.p95RenderWorkMs],
  ['lag ms', (r) => r.lagAfterLastFrameMs],
  ['deltas', (r) => r.deltasReceived],
  ['first paint ms', (r) => r.firstPaintMs],
];
const line = (cells) => `| ${cells.join(' | ')} |`;
const lines = [
  line(columns.map(([name]) => name)),
  line(columns.map(() => '---')),
  ...runs.map((r) => line(columns.map(([, get]) => String(get(r) ?? '–')))),
];
process.stdout.write(`\n${lines.join('\n')}\n`);
for (const s of report.summary) {
  process.stdout.write(
    `\n${s.corpus} at ${s.rate}: ${JSON.stringify({ ratioVsNaive: s.ratioVsNaive, ratioVsPlain: s.ratioVsPlain, growth200vs50: s.growth200vs50 })}\n`,
  );
  for (const [name, t] of Object.entries(s.targets)) {
    process.stdout.write(`  ${t.met === null ? '?' : t.met ? 'met ' : 'MISS'}  ${name}: ${t.value ?? '–'}\n`);
  }
}
if (reasoningRuns.length) {
  process.stdout.write(`\nReasoning, then the answer\n${lines[0]}\n${lines[1]}\n`);
  for (const r of reasoningRuns)
    process.stdout.write(`${line(columns.map(([, get]) => String(get(r) ?? '–')))}\n`);
  for (const s of report.reasoning.summary) {
    process.stdout.write(`${s.corpus} at ${s.rate}: ratio to plain text ${s.ratioVsPlain ?? '–'}\n`);
    for (const [name, t] of Object.entries(s.targets)) {
      process.stdout.write(
        `  ${t.met === null ? '?' : t.met ? 'met ' : 'MISS'}  ${name}: ${t.value ?? '–'}\n`,
      );
    }
  }
}
if (firstPaint) {
  process.stdout.write(
    `\nSend → first painted token (${firstPaint.firstTokenKinds.join(', ')}), ${firstPaint.sends} sends: p50 ${firstPaint.p50Ms} ms, p95 ${firstPaint.p95Ms} ms (min ${firstPaint.minMs}, max ${firstPaint.maxMs}; warm-up send ${firstPaint.warmUpMs} ms; to the DOM p50 ${firstPaint.p50ToDomMs} ms; steps p50 ${JSON.stringify(firstPaint.p50StepsMs)})\n`,
  );
}
if (hostile.length) {
  process.stdout.write(
    '\n| hostile input (widget, max rate) | bytes | done | longest task ms | >50ms | main ms |\n| --- | --- | --- | --- | --- | --- |\n',
  );
  for (const h of hostile) {
    process.stdout.write(
      `| ${h.input} | ${h.bytes} | ${h.finished ? 'yes' : 'NO'} | ${h.longestTaskMs} | ${h.tasksOver50ms} | ${h.totalMainThreadMs} |\n`,
    );
  }
}
if (long.length) {
  process.stdout.write(
    `\nLong conversations (next answer: 8 KB at ${args.longRate} tok/s, against the same answer in an empty log just before)\n` +
      '| answers | DOM nodes | welcome KB | welcome answers | first open: longest task ms | >50ms | reload: newest answer ms | reload: welcome all ms | reload: longest task ms | >50ms | empty log main ms | stream main ms | vs empty | p95 frame | longest task ms | >50ms | sweep pages | sweep p95 frame | sweep longest task ms | >50ms |\n' +
      `|${' --- |'.repeat(20)}\n`,
  );
  for (const r of long) {
    const cells = [
      r.answers,
      r.domNodes,
      r.welcomeBytes === null ? null : Math.round(r.welcomeBytes / 1024),
      r.welcomeAnswers,
      r.firstOpen.longestTaskMs,
      r.firstOpen.tasksOver50ms,
      r.reload.welcomeToNewestAnswerMs,
      r.reload.welcomeToAllWelcomedMs,
      r.reload.longestTaskMs,
      r.reload.tasksOver50ms,
      r.emptyLog.totalMainThreadMs,
      r.stream.totalMainThreadMs,
      r.stream.ratioToEmptyLog,
      r.stream.p95FrameIntervalMs,
      r.stream.longestTaskMs,
      r.stream.tasksOver50ms,
      r.sweep.historyPages,
      r.sweep.p95FrameIntervalMs,
      r.sweep.longestTaskMs,
      r.sweep.tasksOver50ms,
    ];
    process.stdout.write(`| ${cells.map((c) => c ?? '–').join(' | ')} |\n`);
  }
}
process.stdout.write(`\nwrote ${args.out}\n`);
