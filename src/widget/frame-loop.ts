/**
 * The widget's one requestAnimationFrame loop. Everything that touches the DOM
 * (Lit updates and markdown rendering) runs here, so the DOM changes at most
 * once per frame however fast tokens arrive, and nothing piles up while the
 * tab is hidden (browsers pause rAF there; text keeps accumulating as strings).
 */
type FrameTask = () => void;

const tasks = new Set<FrameTask>();
let requested = false;

function runFrame(): void {
  requested = false;
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

/** Resolves inside the next animation frame. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => scheduleFrameTask(resolve));
}
