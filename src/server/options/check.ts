/**
 * How every library option is checked: a valibot schema per kind of value,
 * and `option(name, value, schema, fallback)`, which fills in the default and
 * throws a TypeError that names the option. Constructors call it once; nothing
 * downstream re-checks.
 */
import * as v from 'valibot';

/** A schema whose issue messages are written for the option they check (`name` fills in). */
export type OptionSchema<T> = (name: string) => v.GenericSchema<unknown, T>;

const shown = (input: unknown): string => (typeof input === 'string' ? JSON.stringify(input) : String(input));

export const positiveInteger: OptionSchema<number> = (name) => {
  const message = (issue: v.BaseIssue<unknown>) =>
    `${name} must be a positive integer, got ${shown(issue.input)}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(1, message));
};

export const nonNegativeInteger: OptionSchema<number> = (name) => {
  const message = (issue: v.BaseIssue<unknown>) =>
    `${name} must be a non-negative integer, got ${shown(issue.input)}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(0, message));
};

export const positiveNumber: OptionSchema<number> = (name) => {
  const message = (issue: v.BaseIssue<unknown>) =>
    `${name} must be a positive number, got ${shown(issue.input)}`;
  return v.pipe(
    v.number(message),
    v.finite(message),
    v.check((n) => n > 0, message),
  );
};

export const integer: OptionSchema<number> = (name) => {
  const message = (issue: v.BaseIssue<unknown>) => `${name} must be an integer, got ${shown(issue.input)}`;
  return v.pipe(v.number(message), v.integer(message));
};

/** A rate: a positive number, or Infinity for "as fast as possible". */
export const rateOrInfinity: OptionSchema<number> = (name) => {
  const message = (issue: v.BaseIssue<unknown>) => `${name} must be > 0, got ${shown(issue.input)}`;
  return v.pipe(
    v.number(message),
    v.check((n) => n > 0, message),
  );
};

export const portNumber: OptionSchema<number> = (name) => {
  const message = (issue: v.BaseIssue<unknown>) =>
    `${name} must be an integer from 0 to 65535, got ${shown(issue.input)}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(0, message), v.maxValue(65535, message));
};

export const text: OptionSchema<string> = (name) =>
  v.string((issue) => `${name} must be a string, got ${shown(issue.input)}`);

export const tlsPair: OptionSchema<{ cert: string | Buffer; key: string | Buffer }> = (name) =>
  v.custom<{ cert: string | Buffer; key: string | Buffer }>((x) => {
    const pair = x as { cert?: unknown; key?: unknown } | null;
    return typeof pair === 'object' && pair !== null && Boolean(pair.cert) && Boolean(pair.key);
  }, `${name} must be { cert, key } (PEM strings or Buffers)`);

export const urlPath: OptionSchema<string> = (name) =>
  v.pipe(
    v.string((issue) => `${name} must start with "/", got ${shown(issue.input)}`),
    v.startsWith('/', (issue) => `${name} must start with "/", got ${shown(issue.input)}`),
  );

export const oneOf =
  <const T extends readonly string[]>(values: T): OptionSchema<T[number]> =>
  (name) =>
    v.picklist(
      values,
      (issue) => `${name} must be ${values.map((x) => `"${x}"`).join(' or ')}, got ${shown(issue.input)}`,
    );

export const aBoolean: OptionSchema<boolean> = (name) =>
  v.boolean((issue) => `${name} must be true or false, got ${shown(issue.input)}`);

export const aFunction: OptionSchema<(...args: never[]) => unknown> = (name) =>
  v.function(`${name} must be a function`);

/** `false` to turn something off, or an object of its settings. */
export const falseOrObject: OptionSchema<false | object> = (name) =>
  v.custom<false | object>(
    (x) => x === false || (typeof x === 'object' && x !== null),
    `${name} must be false or an object`,
  );

export const anObject: OptionSchema<object> = (name) =>
  v.custom<object>((x) => typeof x === 'object' && x !== null, `${name} must be an object`);

/** `value` checked against `schema` (built for `name`), or `fallback` when it is undefined. */
export function option<T>(name: string, value: unknown, schema: OptionSchema<T>, fallback: T): T;
export function option<T>(name: string, value: unknown, schema: OptionSchema<T>): T | undefined;
export function option<T>(
  name: string,
  value: unknown,
  schema: OptionSchema<T>,
  fallback?: T,
): T | undefined {
  if (value === undefined) return fallback;
  const result = v.safeParse(schema(name), value);
  if (!result.success) throw new TypeError(result.issues[0].message);
  return result.output;
}
