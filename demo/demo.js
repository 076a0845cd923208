// The demo's controls: theme switch and the parameter panel, applied to both widgets.
const chats = [...document.querySelectorAll('ai-stream-chat')];
const form = document.getElementById('controls');

function applySettings() {
  const data = new FormData(form);
  const params = { temperature: Number(data.get('temperature')), maxTokens: Number(data.get('maxTokens')) };
  document.getElementById('temperature-value').value = String(params.temperature);
  document.documentElement.dataset.theme = String(data.get('theme'));
  for (const chat of chats) {
    chat.theme = String(data.get('theme'));
    chat.params = params;
  }
}
form.addEventListener('input', applySettings);
form.addEventListener('submit', (event) => event.preventDefault());
applySettings();

const lastEvent = document.getElementById('last-event');
for (const name of [
  'ai-chat-message-sent',
  'ai-chat-answer-start',
  'ai-chat-answer-done',
  'ai-chat-connection-change',
]) {
  document.addEventListener(name, (event) => {
    const { detail } = event;
    const extra = detail.finishReason
      ? ` (${detail.finishReason})`
      : detail.status
        ? ` (${detail.status})`
        : '';
    lastEvent.textContent = `${name}${extra}`;
  });
}
