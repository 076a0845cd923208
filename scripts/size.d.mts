export const BUDGET_BYTES: number;
export const BUNDLES: string[];
/** One source-map segment's base64 VLQ fields. */
export function decodeVlq(segment: string): number[];
export function measure(bundle?: string): {
  raw: number;
  gzip: number;
  rows: { name: string; bytes: number; gzip: number }[];
};
