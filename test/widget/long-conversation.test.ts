/**
 * Long conversations stay as light as short ones (issue 21): "New
 * conversation" leaves nothing of the old one in the log.
 */
import { expect } from 'chai';
import '../../src/widget/index.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  mountChat,
  settled,
  shadow,
  unmountChats,
  waitFor,
  welcomeOnFakeSocket,
} from '../helpers/browser.js';
import { FakeSocket, installFakeSocket, welcomeFrame } from '../helpers/fake-socket.js';

const part = (el: AiStreamChat, name: string) => shadow(el).querySelector<HTMLElement>(`[part~="${name}"]`);

/** A finished history of `turns` questions and answers, oldest first. */
function history(turns: number, answerText = (i: number) => `Answer ${i}.`): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  for (let i = 1; i <= turns; i++) {
    messages.push({ id: `u${i}`, role: 'user', text: `Question ${i}`, clientMsgId: `c${i}` });
    messages.push({
      id: `a${i}`,
      role: 'assistant',
      text: answerText(i),
      seq: 1,
      finishReason: 'stop',
      replyTo: `u${i}`,
    });
  }
  return messages;
}

/** Every node in the log, comments included, as `nodeName` (a comment as "#comment"). */
function logNodes(el: AiStreamChat): string[] {
  const log = part(el, 'log') as HTMLElement;
  const names: string[] = [];
  const walker = document.createTreeWalker(log, NodeFilter.SHOW_ALL);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) names.push(node.nodeName);
  return names;
}

describe('<ai-stream-chat> in a long conversation', () => {
  let restore: () => void;

  beforeEach(() => {
    restore = installFakeSocket();
  });

  afterEach(() => {
    unmountChats();
    restore();
  });

  it('"New conversation" leaves no node of the old conversation in the log', async () => {
    const empty = await mountChat('url="ws://fake/ws" persist="none"');
    await welcomeOnFakeSocket(empty);
    const emptyLog = logNodes(empty);
    unmountChats();
    FakeSocket.sockets = [];

    const el = await mountChat('url="ws://fake/ws" persist="none"');
    await waitFor(() => FakeSocket.sockets[0]?.sent.length, 'hello');
    const socket = FakeSocket.last;
    socket.receive({ ...welcomeFrame(), history: history(12) });
    await waitFor(() => shadow(el).textContent?.includes('Answer 1.'), 'the oldest answer on screen');
    await settled(el);
    expect(logNodes(el).length, 'the conversation is in the log').to.be.greaterThan(emptyLog.length + 24);

    (part(el, 'new-conversation-button') as HTMLButtonElement).click();
    await waitFor(() => el.messages.length === 0, 'the conversation to be cleared');
    await settled(el);
    expect(logNodes(el)).to.deep.equal(emptyLog);
  });
});
