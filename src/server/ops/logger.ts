/**
 * What the chat server logs through: any object with pino's four methods
 * (a pino logger fits as is). Every call passes structured fields first and a
 * short fixed message second. The server never logs message text, answer
 * tokens or session tokens.
 */
export interface ChatLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const nothing = (): void => {};

/** The default: logs nothing. */
export const silentLogger: ChatLogger = { debug: nothing, info: nothing, warn: nothing, error: nothing };

export function checkLogger(logger: unknown): ChatLogger {
  if (logger === undefined) return silentLogger;
  const l = logger as Partial<Record<keyof ChatLogger, unknown>>;
  for (const method of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof l?.[method] !== 'function') {
      throw new TypeError(
        `logger must have debug, info, warn and error methods (a pino logger fits); ${method} is missing`,
      );
    }
  }
  return logger as ChatLogger;
}
