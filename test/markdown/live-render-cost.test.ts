/** When the live block stops being re-rendered as markdown (and shows as text until finished). */
import { expect } from 'chai';
import { LIVE_RENDER_LIMIT_MS, LiveRenderCost } from '../../src/widget/markdown/live-render-cost.js';

describe('LiveRenderCost', () => {
  it('always renders blocks under 1 KB, whatever they cost', () => {
    const cost = new LiveRenderCost();
    const small = '**a**'.repeat(200);
    cost.record(small, 500);
    expect(cost.fits(small)).to.equal(true);
  });

  it('before any render, judges by the inline markers: dense markup is text, long prose renders', () => {
    expect(new LiveRenderCost().fits('**a**'.repeat(800)), '4 KB of **a**').to.equal(false);
    expect(new LiveRenderCost().fits('plain words '.repeat(1000)), '12 KB of prose').to.equal(true);
    expect(new LiveRenderCost().fits('| a | b |\n'.repeat(120)), 'a 1.2 KB table').to.equal(true);
  });

  it('after renders, predicts from the cheaper of the last two per character', () => {
    const cost = new LiveRenderCost();
    const block = 'x'.repeat(2000);
    cost.record(block, LIVE_RENDER_LIMIT_MS / 2);
    // One slow frame (a garbage collection, say) does not decide on its own.
    cost.record(block, LIVE_RENDER_LIMIT_MS * 10);
    expect(cost.fits('x'.repeat(3000)), '1.5x the size at half the limit').to.equal(true);
    cost.record('x'.repeat(3000), LIVE_RENDER_LIMIT_MS * 0.75);
    expect(cost.fits('x'.repeat(6000)), 'twice the size at 3/4 of the limit').to.equal(false);
  });

  it('once too slow, stays text until a new block is live', () => {
    const cost = new LiveRenderCost();
    cost.record('x'.repeat(2000), LIVE_RENDER_LIMIT_MS * 2);
    expect(cost.fits('x'.repeat(2000))).to.equal(false);
    cost.record('x'.repeat(2000), 0);
    expect(cost.fits('x'.repeat(2000)), 'latched').to.equal(false);
    cost.reset();
    expect(cost.fits('x'.repeat(2000))).to.equal(true);
  });
});
