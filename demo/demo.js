// The demo page's controls: theme switch and parameter panel (applied to both
// widgets), the slow-network and drop switches (the dev server's
// --demo-controls endpoints), and a log of the widgets' events.
// An external file, so the page also works under a strict CSP.
const chats = [...document.querySelectorAll('ai-stream-chat')];
const form = document.getElementById('controls');
const log = document.getElementById('event-log');
const SLOW_DELAY_MS = 300;
const MAX_LOG_ENTRIES = 12;

function applySettings() {
  const data = new FormData(form);
  const params = { temperature: Number(data.get('temperature')), maxTokens: Number(data.get('maxTokens')) };
  document.getElementById('temperature-value').value = params.temperature.toFixed(1);
  const theme = String(data.get('theme'));
  document.documentElement.dataset.theme = theme;
  for (const chat of chats) {
    chat.theme = theme;
    chat.params = params;
  }
}
form.addEventListener('input', applySettings);
form.addEventListener('submit', (event) => event.preventDefault());
applySettings();

// --- Event log -------------------------------------------------------------

const widgetName = (target) => (target?.id === 'floating-chat' ? 'floating' : 'inline');
const time = () => new Date().toLocaleTimeString([], { hour12: false });

function logLine(kind, source, text) {
  log.querySelector('.empty')?.remove();
  const item = document.createElement('li');
  item.className = `kind-${kind}`;
  const stamp = document.createElement('time');
  stamp.textContent = time();
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = source;
  const what = document.createElement('span');
  what.className = 'what';
  what.textContent = text;
  item.append(stamp, who, what);
  log.prepend(item);
  while (log.children.length > MAX_LOG_ENTRIES) log.lastElementChild.remove();
}

document.addEventListener('ai-chat-connection-change', (event) => {
  const { status, detail } = event.detail;
  logLine(status, widgetName(event.target), detail ? `${status}: ${detail}` : status);
});
document.addEventListener('ai-chat-message-sent', (event) => {
  const { params } = event.detail;
  const shown = Object.entries(params ?? {})
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  logLine('sent', widgetName(event.target), `message sent${shown ? ` with ${shown}` : ''}`);
});
document.addEventListener('ai-chat-answer-done', (event) => {
  const { finishReason, usage } = event.detail;
  // Of the completion tokens, those spent thinking are counted apart (maxTokens bounds the answer's).
  const thinking = usage?.reasoningTokens ?? 0;
  const tokens = usage
    ? `, ${usage.completionTokens - thinking} tokens${thinking ? ` + ${thinking} thinking` : ''}`
    : '';
  logLine('done', widgetName(event.target), `answer finished (${finishReason}${tokens})`);
});
document.addEventListener('ai-chat-feedback', (event) => {
  const { value } = event.detail;
  logLine('feedback', widgetName(event.target), value ? `feedback: thumbs ${value}` : 'feedback taken back');
});
document.addEventListener('ai-chat-error', (event) => {
  logLine('error', widgetName(event.target), `error ${event.detail.code}: ${event.detail.message}`);
});

// --- Network switches (dev server --demo-controls) -------------------------

const network = document.getElementById('network');
const slow = document.getElementById('slow-network');
const drop = document.getElementById('drop-connection');
const note = document.getElementById('network-note');

async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

slow.addEventListener('change', async () => {
  const delayMs = slow.checked ? SLOW_DELAY_MS : 0;
  try {
    await postJson('/demo/network', { delayMs });
    logLine('server', 'server', delayMs ? `every frame now waits ${delayMs} ms` : 'full speed again');
  } catch (error) {
    slow.checked = !slow.checked;
    logLine('error', 'server', `could not change the network: ${error.message}`);
  }
});

drop.addEventListener('click', async () => {
  try {
    const { dropped } = await postJson('/demo/drop', {});
    logLine('server', 'server', `dropped ${dropped} connection${dropped === 1 ? '' : 's'}`);
  } catch (error) {
    logLine('error', 'server', `could not drop: ${error.message}`);
  }
});

async function detectDemoControls() {
  try {
    const response = await fetch('/demo/network');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { delayMs } = await response.json();
    slow.checked = delayMs > 0;
    network.disabled = false;
    note.textContent = 'Slow the stream down or cut it, and watch the widgets reconnect and resume exactly.';
  } catch {
    note.textContent = 'Start the server with --demo-controls (npm start does) to use these.';
  }
}
detectDemoControls();
