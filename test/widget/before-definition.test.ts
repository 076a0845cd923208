/**
 * `<ai-stream-chat>` in the page before its bundle defines it, as a
 * framework that renders first and loads the widget later leaves it. This
 * file imports the widget only inside its tests (each test file runs in a
 * page of its own), so the element is undefined until then.
 */
import { expect } from 'chai';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  answerDone,
  type RunningDevServer,
  settled,
  startDevServer,
  stopDevServer,
  waitFor,
} from '../helpers/browser.js';

describe('<ai-stream-chat> set up before it is defined', () => {
  let server: RunningDevServer | undefined;
  const holders: HTMLElement[] = [];
  const warnings: string[] = [];
  const realWarn = console.warn;

  beforeEach(() => {
    warnings.length = 0;
    // The widget's own warnings (Lit's development build warns of its own).
    console.warn = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (text.startsWith('<ai-stream-chat>')) warnings.push(text);
      else realWarn(...args);
    };
  });

  afterEach(async () => {
    console.warn = realWarn;
    for (const holder of holders.splice(0)) holder.remove();
    await stopDevServer(server);
    server = undefined;
  });

  it('picks up properties set before the definition when it upgrades, and sends its params', async () => {
    expect(customElements.get('ai-stream-chat'), 'not defined yet').to.equal(undefined);
    server = await startDevServer(['--rate', 'max']);
    const holder = document.createElement('div');
    holders.push(holder);
    const early = document.createElement('ai-stream-chat') as AiStreamChat;
    // Plain properties of a not yet upgraded HTMLElement, as a framework sets them.
    early.url = server.wsUrl;
    early.params = { maxTokens: 3 };
    early.strings = { send: 'Senden' };
    early.heading = 'Early';
    holder.append(early);
    document.body.append(holder);

    await import('../../src/widget/index.js');
    await customElements.whenDefined('ai-stream-chat');
    expect(early.matches(':defined'), 'upgraded').to.equal(true);
    await settled(early);
    expect(early.params).to.deep.equal({ maxTokens: 3 });
    expect(early.getAttribute('heading'), 'reflected after the upgrade').to.equal('Early');
    const send = early.shadowRoot?.querySelector('[part~="send-button"]');
    expect(send?.textContent?.trim()).to.equal('Senden');

    const sent = new Promise<CustomEvent>((resolve) =>
      early.addEventListener('ai-chat-message-sent', resolve, { once: true }),
    );
    early.send('hello');
    expect((await sent).detail.params).to.deep.equal({ maxTokens: 3 });
    // The mock source stops at maxTokens: the server had the params.
    const answer = await answerDone(early);
    expect(answer.finishReason).to.equal('length');
    expect(warnings).to.deep.equal([]);
  });

  it('explains a params attribute of "[object Object]" (an object written before the definition)', async () => {
    const holder = document.createElement('div');
    holders.push(holder);
    holder.innerHTML = '<ai-stream-chat persist="none" params="[object Object]"></ai-stream-chat>';
    document.body.append(holder);
    await import('../../src/widget/index.js');
    const el = holder.querySelector('ai-stream-chat') as AiStreamChat;
    await settled(el);
    expect(el.params).to.deep.equal({});
    await waitFor(() => warnings.length > 0, 'a warning');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/params attribute "\[object Object\]"/);
    expect(warnings[0]).to.match(/before the element is defined/);
    expect(warnings[0]).to.match(/set the params property/);
  });

  it('stays quiet when a property replaces "[object Object]" before the first update (server-rendered, then hydrated)', async () => {
    await import('../../src/widget/index.js');
    const holder = document.createElement('div');
    holders.push(holder);
    // A server renderer wrote the object as an attribute; hydration then sets the property.
    holder.innerHTML = '<ai-stream-chat persist="none" params="[object Object]"></ai-stream-chat>';
    document.body.append(holder);
    const el = holder.querySelector('ai-stream-chat') as AiStreamChat;
    el.params = { temperature: 0.1 };
    await settled(el);
    expect(el.params).to.deep.equal({ temperature: 0.1 });
    expect(warnings).to.deep.equal([]);
  });
});
