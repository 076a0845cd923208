/**
 * `@property` and `@state` for this element's fields, as TypeScript's
 * (experimental) decorators: each declares a reactive property on the
 * class. Lit's own decorators do the same and also carry the TC39
 * decorators' code path, which this bundle would ship unused (0.3 KB gzip).
 */
import type { PropertyDeclaration, ReactiveElement } from 'lit';

export function property(options?: PropertyDeclaration) {
  return (proto: ReactiveElement, name: string): void => {
    (proto.constructor as typeof ReactiveElement).createProperty(name, options);
  };
}

/** Internal reactive state: re-renders when it changes, has no attribute. */
export function state() {
  return property({ state: true });
}
