/**
 * The widget's one requestAnimationFrame loop. Everything that touches the DOM
 * (Lit updates and markdown rendering) runs here, so the DOM changes at most
 * once per frame however fast tokens arrive, and nothing piles up while the
 * tab is hidden (browsers pause rAF there; text keeps accumulating as strings).
 *
 * Each frame has a time budget: a task that has more to do than fits checks
 * `frameTimeLeft()`, does a bounded piece, and schedules itself again; the
 * next frame catches up. Pending work is a set of tasks (each at most once),
 * so it stays bounded however fast tokens arrive.
 */
type FrameTask = () => void;

/** Main-thread time per frame the widget's tasks may use before yielding to the next frame. */
export const FRAME_BUDGET_MS = 6;

const tasks = new Set<FrameTask>();
let requested = false;
let frameStart = 0;
let frameNumber = 0;

function runFrame(): void {
  requested = false;
  frameStart = performance.now();
  frameNumber++;
  const due = [...tasks];
  tasks.clear();
  for (const task of due) {
    try {
      task();
    } catch (error) {
      // One failing task must not starve the others; report it like an uncaught error.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** Runs `task` in the next animation frame; scheduling the same task twice runs it once. */
export function scheduleFrameTask(task: FrameTask): void {
  tasks.add(task);
  if (!requested) {
    requested = true;
    requestAnimationFrame(runFrame);
  }
}

export function cancelFrameTask(task: FrameTask): void {
  tasks.delete(task);
}

/** Milliseconds left of this frame's budget (negative when over); only meaningful inside a frame task. */
export function frameTimeLeft(): number {
  return FRAME_BUDGET_MS - (performance.now() - frameStart);
}

/** Which frame of the loop runs now (or ran last): tasks use it to do something at most once per frame. */
export function currentFrame(): number {
  return frameNumber;
}

/** Resolves inside the next animation frame. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => scheduleFrameTask(resolve));
}
