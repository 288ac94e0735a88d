import type { NamedVariables } from '@dpo-ts/core';
import type { GPT } from '@dpo-ts/lm';

/**
 * A policy's variables under the checkpoint names of RLOO, GRPO and online DPO:
 * `policy/<GPT name>`. The same map on the main thread (the trainers' optimiser and checkpoints)
 * and in every worker replica of their update tasks.
 */
export function policyUpdateVariables(model: GPT): NamedVariables {
  return new Map([...model.namedVariables()].map(([name, variable]) => [`policy/${name}`, variable] as const));
}
