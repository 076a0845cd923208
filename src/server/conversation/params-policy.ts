import type { MessageParams } from '../../protocol/index.js';

/** Which per-message parameters a client may set, and their bounds. */
export interface ParamsPolicy {
  temperature: { min: number; max: number };
  maxTokens: { min: number; max: number };
  /** Models a client may ask for; empty: the `model` parameter is refused. */
  models: string[];
  /** Whether a client may send its own system prompt, and how long it may be. */
  systemPrompt: { allowed: boolean; maxLength: number };
}

export const defaultParamsPolicy: ParamsPolicy = {
  temperature: { min: 0, max: 2 },
  maxTokens: { min: 1, max: 4096 },
  models: [],
  systemPrompt: { allowed: false, maxLength: 4000 },
};

/**
 * Checks a `send`'s params against the policy. Returns a message saying what
 * is wrong, or undefined when they are acceptable. Unknown keys are ignored,
 * as the protocol's versioning rule says.
 */
export function checkParams(params: MessageParams, policy: ParamsPolicy): string | undefined {
  const { temperature, maxTokens, model, system } = params;
  if (temperature !== undefined) {
    const { min, max } = policy.temperature;
    if (!(temperature >= min && temperature <= max)) return `temperature must be from ${min} to ${max}`;
  }
  if (maxTokens !== undefined) {
    const { min, max } = policy.maxTokens;
    if (!(maxTokens >= min && maxTokens <= max)) return `maxTokens must be from ${min} to ${max}`;
  }
  if (model !== undefined && !policy.models.includes(model)) {
    return policy.models.length === 0
      ? 'this server does not let clients choose the model'
      : `model must be one of: ${policy.models.join(', ')}`;
  }
  if (system !== undefined) {
    if (!policy.systemPrompt.allowed) return 'this server does not accept a system prompt from clients';
    if (system.length > policy.systemPrompt.maxLength) {
      return `system prompt is longer than ${policy.systemPrompt.maxLength} characters`;
    }
  }
  return undefined;
}

/** Merges a partial policy over the defaults, rejecting impossible bounds. */
export function resolveParamsPolicy(partial: Partial<ParamsPolicy> = {}): ParamsPolicy {
  const policy: ParamsPolicy = {
    temperature: { ...defaultParamsPolicy.temperature, ...partial.temperature },
    maxTokens: { ...defaultParamsPolicy.maxTokens, ...partial.maxTokens },
    models: [...(partial.models ?? defaultParamsPolicy.models)],
    systemPrompt: { ...defaultParamsPolicy.systemPrompt, ...partial.systemPrompt },
  };
  for (const key of ['temperature', 'maxTokens'] as const) {
    const { min, max } = policy[key];
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      throw new TypeError(`params.${key} must have finite min <= max, got ${min}..${max}`);
    }
  }
  if (!policy.models.every((m) => typeof m === 'string' && m !== '')) {
    throw new TypeError('params.models must be a list of non-empty strings');
  }
  return policy;
}
