/**
 * One benchmark page, four renderers (?renderer=widget|naive-chunk|naive-frame|plain).
 * The widget may open an existing conversation (?conversation=<id>): a long
 * history, whose arrival (the welcome) and rendering (`markers`: the newest
 * and the oldest answer's last words) the page times, as a reload would see it.
 * All four read the same `delta` frames from the same chat server over a real
 * WebSocket, and all four follow the bottom the same way: by the browser's
 * scroll anchoring, as the widget does (see followBottom).
 *
 * Instrumentation, the same for all four, installed before any renderer code:
 * - every `message` listener of every WebSocket and every requestAnimationFrame
 *   callback is timed; their sum per frame is the renderer's own work;
 * - a rAF loop records frame intervals;
 * - once the last delta has arrived, a MutationObserver notes when the
 *   sentinel (the corpus's last word) is in the DOM: the final text.
 * Main-thread time and long tasks come from the browser (CDP), not from here.
 */
const query = new URLSearchParams(location.search);
const renderer = query.get('renderer') ?? 'widget';
const noCompact = query.get('compact') === '0';
const rawRaf = window.requestAnimationFrame.bind(window);

const m = {
  running: false,
  work: 0,
  frameWork: [],
  frameTimes: [],
  deltas: 0,
  expectedDeltas: Number.POSITIVE_INFINITY,
  lastDeltaAt: 0,
  lastDeltaSeenAt: 0,
  finalAt: 0,
  finalWall: 0,
  doneAt: 0,
  startedAt: 0,
  firstTextAt: 0,
  firstPaintAt: 0,
  /** When the welcome arrived, and the welcome itself. */
  welcomeAt: 0,
  welcome: '',
  /** History pages received (PROTOCOL.md section 17). */
  historyPages: 0,
  /** When each history marker (an answer's last word) was first in the DOM. */
  markerAt: {},
};

/** Send → first paint of the armed send (benchArmFirstPaint): page times, ms. */
const firstToken = { sendAt: 0, seenKeyAt: 0, sentAt: 0, deltaAt: 0, tokenAt: 0, paintedAt: 0, kind: '' };

function timed(fn) {
  return function (...args) {
    const t = performance.now();
    try {
      return fn.apply(this, args);
    } finally {
      m.work += performance.now() - t;
    }
  };
}

/**
 * True from a frame's first requestAnimationFrame callback until the first
 * task after that frame: a DOM change seen meanwhile is painted by this frame,
 * and `afterThisFrame` callbacks run once it has been (the browser's rendering
 * update, style to paint, ends before it takes the next task).
 */
let inFrame = false;
/** Only while Send → first paint is measured: the render runs pay nothing for it. */
let trackingFrames = false;
const afterThisFrame = [];
const frameEnd = new MessageChannel();
frameEnd.port1.onmessage = () => {
  inFrame = false;
  const now = performance.now();
  for (const callback of afterThisFrame.splice(0)) callback(now);
};
window.requestAnimationFrame = (callback) =>
  rawRaf((now) => {
    if (trackingFrames && !inFrame) {
      inFrame = true;
      frameEnd.port2.postMessage(0);
    }
    return timed(callback)(now);
  });

/** Calls `painted(time)` once a frame that shows the DOM as it is now has been painted by the main thread. */
function whenPainted(painted) {
  if (inFrame) afterThisFrame.push(painted);
  else window.requestAnimationFrame(() => afterThisFrame.push(painted));
}

let sentinel = '';
let watchRoot = null;
let observer = null;
function found() {
  m.finalAt = performance.now();
  m.finalWall = Date.now();
  observer?.disconnect();
}
/**
 * Looks for the sentinel only where the DOM changed (an added node, or the
 * element around changed or added text), so the check costs what the change
 * does, not the size of the answer: it runs inside the renderer's tasks.
 */
function checkChanges(records) {
  if (m.finalAt) return;
  for (const record of records) {
    const places = record.type === 'characterData' ? [record.target] : [...record.addedNodes];
    for (const node of places) {
      const where = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      if (where?.textContent.includes(sentinel)) return found();
    }
  }
}
function watchForFinal() {
  if (watchRoot.textContent.includes(sentinel)) return found();
  observer = new MutationObserver(checkChanges);
  observer.observe(watchRoot, { subtree: true, childList: true, characterData: true });
}

/**
 * First paint: the first answer text in the DOM (for the widget, inside an
 * answer's markdown block; the baselines' content holds only the answer), and
 * the start of the next frame, which paints it.
 */
function watchForFirstText() {
  const firstObserver = new MutationObserver((records) => {
    for (const record of records) {
      const places = record.type === 'characterData' ? [record.target] : [...record.addedNodes];
      for (const node of places) {
        const where = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
        if (!where?.textContent.trim()) continue;
        if (renderer === 'widget' && !where.closest?.('.markdown')) continue;
        firstObserver.disconnect();
        m.firstTextAt = performance.now();
        rawRaf((now) => {
          m.firstPaintAt = now;
        });
        return;
      }
    }
  });
  firstObserver.observe(watchRoot, { subtree: true, childList: true, characterData: true });
}

function lastDeltaArrived() {
  m.lastDeltaAt = m.lastDeltaSeenAt;
  watchForFinal();
}

const listeners = new WeakMap();
class TimedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    // Registered first, so it runs before any renderer's listener.
    super.addEventListener('message', (event) => {
      if (!m.welcomeAt && typeof event.data === 'string' && event.data.startsWith('{"type":"welcome"')) {
        m.welcomeAt = performance.now();
        // Counted later (benchWelcomeBytes): encoding 1.4 MB here took 40 ms of the measured task.
        m.welcome = event.data;
        // Names the moment in the trace (run.mjs): the reload's tasks start here.
        performance.mark('ai-stream-chat-bench-welcome');
      }
      if (typeof event.data === 'string' && event.data.startsWith('{"type":"history"')) m.historyPages++;
      // Send → first paint: the first frame of the answer's parts or text after the send.
      if (firstToken.sentAt && !firstToken.deltaAt && /^(?:"|\{"[dr]":|\{"type":"delta")/.test(event.data))
        firstToken.deltaAt = performance.now();
      if (!m.running || typeof event.data !== 'string') return;
      // The widget asks for compact deltas (a JSON string, {"d":…}, or {"r":…} of reasoning); the baselines get full ones.
      if (
        event.data.startsWith('{"type":"delta"') ||
        event.data.startsWith('"') ||
        event.data.startsWith('{"d":') ||
        event.data.startsWith('{"r":')
      ) {
        m.deltas++;
        m.lastDeltaSeenAt = performance.now();
        if (m.deltas === m.expectedDeltas) lastDeltaArrived();
      } else if (event.data.startsWith('{"type":"done"')) {
        m.doneAt = performance.now();
        // A server under backpressure merges deltas (delta.fromSeq): fewer frames than chunks arrive.
        if (!m.lastDeltaAt) lastDeltaArrived();
      }
    });
  }
  send(data) {
    if (firstToken.seenKeyAt && !firstToken.sentAt && String(data).startsWith('{"type":"send"'))
      firstToken.sentAt = performance.now();
    // ?compact=0: the widget's hello without `compact`, so the server sends full deltas (as before PROTOCOL.md section 14).
    if (noCompact && typeof data === 'string' && data.startsWith('{"type":"hello"')) {
      const hello = JSON.parse(data);
      delete hello.compact;
      return super.send(JSON.stringify(hello));
    }
    return super.send(data);
  }
  addEventListener(type, listener, options) {
    if (type !== 'message' || typeof listener !== 'function')
      return super.addEventListener(type, listener, options);
    const wrapped = timed(listener);
    listeners.set(listener, wrapped);
    return super.addEventListener(type, wrapped, options);
  }
  removeEventListener(type, listener, options) {
    return super.removeEventListener(type, listeners.get(listener) ?? listener, options);
  }
  set onmessage(listener) {
    super.onmessage = listener ? timed(listener) : null;
  }
  get onmessage() {
    return super.onmessage;
  }
}
window.WebSocket = TimedWebSocket;

function frameLoop(now) {
  if (!m.running) return;
  m.frameTimes.push(now);
  m.frameWork.push(m.work);
  m.work = 0;
  rawRaf(frameLoop);
}

/** This page's chat server, or another (?ws=: the real dev server of the Send → first paint runs). */
const wsUrl = query.get('ws') ?? `${location.origin.replace(/^http/, 'ws')}/ws`;

/**
 * A raw protocol client for the baselines: hello (with parts), then one send;
 * `onDelta(text, reasoning)` per delta frame.
 */
function connect(onDelta) {
  const socket = new WebSocket(wsUrl);
  const welcomed = new Promise((resolve, reject) => {
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'hello', v: 1, parts: true })));
    socket.addEventListener('error', reject);
    socket.addEventListener('message', (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === 'welcome') resolve();
      else if (frame.type === 'delta') onDelta(frame.text, frame.reasoning ?? '');
    });
  });
  return {
    ready: welcomed,
    send: (text) => socket.send(JSON.stringify({ type: 'send', clientMsgId: 'bench-1', text })),
  };
}

/**
 * Keeps `box` at its bottom the way the widget does in Chromium
 * (src/widget/controllers/follow-bottom-controller.ts): the end marker is the
 * only scroll anchor (page.css), so each layout keeps it in view; when it
 * leaves the view anyway (anchoring does nothing at scrollTop 0), an
 * IntersectionObserver scrolls down. No script reads the layout mid-frame.
 */
function followBottom(box, end) {
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.at(-1)?.isIntersecting !== false) return;
      box.scrollTop = box.scrollHeight;
      // As the widget does: report the state after the next layout even if unchanged.
      observer.unobserve(end);
      observer.observe(end);
    },
    { root: box },
  );
  observer.observe(end);
}

/** Plain text into `box`: a new pre-wrap block at each blank line; each chunk is one text node. */
function plainText(box) {
  let block = null;
  let lastChar = '';
  return {
    started: () => block !== null,
    append(chunk) {
      const parts = (lastChar + chunk).split(/\n[ \t]*\n/);
      parts[0] = parts[0].slice(lastChar.length);
      for (let i = 0; i < parts.length; i++) {
        if (i > 0 || !block) {
          block = document.createElement('div');
          block.className = 'plain';
          box.append(block);
        }
        if (parts[i]) block.append(document.createTextNode(parts[i]));
      }
      lastChar = chunk.slice(-1);
    },
  };
}

async function setUpBaseline() {
  const box = document.createElement('div');
  box.className = 'box';
  const content = document.createElement('div');
  const end = document.createElement('div');
  end.className = 'end';
  box.append(content, end);
  document.body.append(box);
  watchRoot = content;
  followBottom(box, end);
  let text = '';
  let onDelta;
  if (renderer === 'plain') {
    const answer = plainText(content);
    // Reasoning goes in a box of its own, removed when the answer begins (as the widget closes its disclosure).
    const reasoningBox = document.createElement('div');
    const reasoning = plainText(reasoningBox);
    onDelta = (chunk, thought) => {
      if (thought) {
        if (!reasoningBox.isConnected && !answer.started()) content.prepend(reasoningBox);
        reasoning.append(thought);
      }
      if (!chunk) return;
      reasoningBox.remove();
      answer.append(chunk);
    };
  } else {
    const [{ marked }, { default: DOMPurify }] = await Promise.all([
      import('/vendor/marked/marked.esm.js'),
      import('/vendor/dompurify/purify.es.mjs'),
    ]);
    const renderAll = () => {
      content.innerHTML = DOMPurify.sanitize(marked.parse(text));
    };
    if (renderer === 'naive-chunk') {
      onDelta = (chunk) => {
        text += chunk;
        renderAll();
      };
    } else {
      let scheduled = false;
      onDelta = (chunk) => {
        text += chunk;
        if (scheduled) return;
        scheduled = true;
        requestAnimationFrame(() => {
          scheduled = false;
          renderAll();
        });
      };
    }
  }
  const client = connect(onDelta);
  await client.ready;
  return (prompt) => client.send(prompt);
}

/**
 * Notes when each of `markers` is first in `root`'s DOM (looking only where
 * the DOM changed, as checkChanges does), until all are.
 */
function watchMarkers(root, markers) {
  const left = new Set(markers);
  const look = (node) => {
    const where = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const text = where?.textContent ?? '';
    for (const marker of left) {
      if (text.includes(marker)) {
        m.markerAt[marker] = performance.now();
        left.delete(marker);
      }
    }
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'characterData') look(record.target);
      else for (const node of record.addedNodes) look(node);
    }
    if (left.size === 0) observer.disconnect();
  });
  observer.observe(root, { subtree: true, childList: true, characterData: true });
}

async function setUpWidget() {
  await import('/dist/ai-stream-chat.js');
  const el = document.createElement('ai-stream-chat');
  el.setAttribute('url', wsUrl);
  el.setAttribute('persist', 'none');
  const conversation = query.get('conversation');
  if (conversation) el.setAttribute('conversation-id', conversation);
  document.body.append(el);
  // The shadow root exists once connected, before the welcome can arrive.
  const markers = (query.get('markers') ?? '').split(',').filter(Boolean);
  if (markers.length > 0) watchMarkers(el.shadowRoot, markers);
  await new Promise((resolve) => {
    const check = () => {
      const status = el.shadowRoot?.querySelector('[part~="status"]');
      if (status && status.textContent === '') resolve();
      else setTimeout(check, 20);
    };
    check();
  });
  watchRoot = el.shadowRoot.querySelector('[part~="log"]');
  return (prompt) => el.send(prompt);
}

const ready = renderer === 'widget' ? setUpWidget() : setUpBaseline();
markPageThread();

/** Names this page's main thread in the trace (run.mjs traceTasks): at the start, and again at each poll. */
function markPageThread() {
  performance.mark('ai-stream-chat-bench-page');
}

/** Starts one run: asks the server for `prompt`, whose answer has `expectedDeltas` delta frames ending with `word`. */
window.benchStart = async (prompt, expectedDeltas, word) => {
  const send = await ready;
  markPageThread();
  sentinel = word;
  m.expectedDeltas = expectedDeltas;
  m.running = true;
  m.startedAt = performance.now();
  m.firstTextAt = 0;
  m.firstPaintAt = 0;
  watchForFirstText();
  m.work = 0;
  rawRaf(frameLoop);
  send(prompt);
};

/**
 * Resolves once the page is ready and has settled: an idle period of the whole
 * 50 ms the browser grants (nothing left to do after loading, the widget's idle
 * work done), or after 3 s. A reader takes longer than that to type a question.
 */
window.benchReady = async () => {
  await ready;
  const start = performance.now();
  while (performance.now() - start < 3000) {
    const idle = await new Promise((resolve) =>
      requestIdleCallback((deadline) => resolve(deadline.timeRemaining())),
    );
    if (idle >= 49) break;
  }
  return true;
};

/** Whether the final text is on screen yet (polled by run.mjs every 200 ms). */
window.benchFinished = () => {
  markPageThread();
  return m.finalAt > 0;
};

/** The history's arrival and rendering so far (polled by run.mjs); marks the page's thread. */
window.benchHistory = () => {
  markPageThread();
  return { welcomeAt: m.welcomeAt, markerAt: m.markerAt };
};

/** The welcome's size in UTF-8 bytes (asked for after the reload is measured). */
window.benchWelcomeBytes = () => new TextEncoder().encode(m.welcome).length;

/** How many nodes the widget's shadow root holds (elements, text, comments). */
window.benchDomNodes = () => {
  const root = document.querySelector('ai-stream-chat')?.shadowRoot;
  if (!root) return 0;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ALL);
  let count = 0;
  while (walker.nextNode()) count++;
  return count;
};

/**
 * Scrolls the widget's log from the bottom to the top, one view height per
 * frame, and back down (as a reader dragging the scroll bar would). At the
 * top it stays until `oldestMarker` (the conversation's first answer) is in
 * the log: what the welcome left out comes in history pages, asked for on a
 * scroll near the top, so meanwhile it scrolls down a pixel and back each
 * frame, as a reader pulling at the top would. Returns the frame intervals,
 * how far it scrolled, how many history pages came and how long it waited at
 * the top; it stops after `maxMs` (`finished` then false).
 */
window.benchSweep = (oldestMarker, maxMs = 100_000) => {
  markPageThread();
  const log = document.querySelector('ai-stream-chat')?.shadowRoot?.querySelector('[part~="log"]');
  if (!log) return Promise.resolve(null);
  const intervals = [];
  /** Each interval's part of the sweep: up to the top, waiting there for history pages, back down. */
  const phases = [];
  let phase = 'up';
  let scrolled = 0;
  let last = 0;
  let goingUp = true;
  let waitedAtTopMs = 0;
  const pagesBefore = m.historyPages;
  const started = performance.now();
  return new Promise((resolve) => {
    const frame = (now) => {
      if (last) {
        intervals.push(now - last);
        phases.push(phase);
      }
      const before = log.scrollTop;
      const atTop = goingUp && before <= 0;
      const waiting = atTop && !m.markerAt[oldestMarker];
      if (waiting && last) waitedAtTopMs += now - last;
      last = now;
      if (atTop && !waiting) goingUp = false;
      const bottom = log.scrollHeight - log.clientHeight;
      const late = now - started > maxMs;
      if ((!goingUp && before >= bottom - 1) || late) {
        resolve({
          intervals,
          phases,
          scrolledPx: Math.round(scrolled),
          historyPages: m.historyPages - pagesBefore,
          waitedAtTopMs,
          finished: !late,
        });
        return;
      }
      phase = waiting ? 'wait' : goingUp ? 'up' : 'down';
      if (waiting) log.scrollTop = 1;
      else log.scrollTop = goingUp ? before - log.clientHeight : before + log.clientHeight;
      scrolled += Math.abs(log.scrollTop - before);
      rawRaf(frame);
    };
    rawRaf(frame);
  });
};

/**
 * Send → first painted token. Armed before each send: the Enter keypress
 * that sends (its event's timeStamp: when the browser took the key in), the
 * first text of the new answer in the DOM (reasoning or answer, inside its
 * markdown), and the end of the frame that painted it (see whenPainted);
 * on the way, the widget's `send` frame and the first delta's arrival.
 */
/** Resolves once the armed send's first token is painted and its answer is done. */
let firstTokenDone = Promise.resolve();
window.benchArmFirstPaint = () => {
  const el = document.querySelector('ai-stream-chat');
  const before = new Set(el.shadowRoot.querySelectorAll('.message.assistant'));
  Object.assign(firstToken, {
    sendAt: 0,
    seenKeyAt: 0,
    sentAt: 0,
    deltaAt: 0,
    tokenAt: 0,
    paintedAt: 0,
    kind: '',
  });
  trackingFrames = true;
  let painted;
  const answered = new Promise((resolve) =>
    el.addEventListener('ai-chat-answer-done', resolve, { once: true }),
  );
  firstTokenDone = Promise.all([new Promise((resolve) => (painted = resolve)), answered]);
  window.addEventListener(
    'keydown',
    (event) => {
      firstToken.seenKeyAt = performance.now();
      firstToken.sendAt = event.timeStamp;
    },
    { capture: true, once: true },
  );
  /** The new answer's markdown (reasoning or text) that `where` is in or holds, once it shows text. */
  const tokenIn = (where) => {
    if (!(where instanceof Element)) return undefined;
    const inside = where.closest('.markdown');
    // A whole message or disclosure may come in at once, its first token already rendered in it.
    for (const markdown of inside ? [inside] : where.querySelectorAll('.markdown')) {
      const message = markdown.closest('.message.assistant');
      if (message && !before.has(message) && markdown.textContent.trim()) return markdown;
    }
    return undefined;
  };
  const tokenObserver = new MutationObserver((records) => {
    for (const record of records) {
      const places = record.type === 'characterData' ? [record.target] : [...record.addedNodes];
      for (const node of places) {
        const markdown = tokenIn(node.nodeType === Node.TEXT_NODE ? node.parentElement : node);
        if (!markdown) continue;
        tokenObserver.disconnect();
        firstToken.tokenAt = performance.now();
        firstToken.kind = markdown.matches('[part~="reasoning-text"]') ? 'reasoning' : 'answer';
        whenPainted((now) => {
          firstToken.paintedAt = now;
          painted();
        });
        return;
      }
    }
  });
  tokenObserver.observe(el.shadowRoot, { subtree: true, childList: true, characterData: true });
};

/** The armed send's figures, once its first token is painted and its answer is done. */
window.benchFirstPaint = async () => {
  await firstTokenDone;
  trackingFrames = false;
  return { ...firstToken };
};

/** Stops recording and returns what the page measured. */
window.benchResult = () => {
  m.running = false;
  observer?.disconnect();
  return {
    deltas: m.deltas,
    expectedDeltas: m.expectedDeltas,
    finished: m.finalAt > 0,
    startedAt: m.startedAt,
    firstTextMs: m.firstTextAt ? m.firstTextAt - m.startedAt : null,
    firstPaintMs: m.firstPaintAt ? m.firstPaintAt - m.startedAt : null,
    lastDeltaAt: m.lastDeltaAt,
    finalAt: m.finalAt,
    finalWall: m.finalWall,
    doneAt: m.doneAt,
    frameTimes: m.frameTimes,
    frameWork: m.frameWork.slice(1),
  };
};
