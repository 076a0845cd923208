/**
 * Brings React's and Vue's types into this repository's own compilations:
 * a `declare module` augmentation (framework-types.ts) does not load the
 * module it augments. Nothing in the package's index.d.ts refers to this
 * file, so the package needs neither framework.
 */
import type {} from 'react';
import type {} from 'vue';
