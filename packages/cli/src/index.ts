/**
 * `@dpo-ts/cli`: the `dpo-ts` command line. `dpo-ts train <trainer> --config run.json` trains on
 * your own JSONL and images, `dpo-ts sample --model DIR` samples from the result, and in the
 * dpo-ts repository `dpo-ts bench ...` runs the benchmarks. The exports run the same commands
 * from code and tests.
 * @packageDocumentation
 */
export { main, CLI_COMMANDS } from './main.js';
export type { CliIO, CliWritable } from './cli-io.js';
export {
  parseRunConfig,
  refuseUnknownFields,
  TRAIN_KINDS,
  RL_KINDS,
  MODALITY_OF_KIND,
  type RewardSpec,
  type TrainKind,
  type RunConfig,
  type ParseRunConfigOptions,
  type LMModelSource,
  type DiffusionModelSource,
} from './run-config.js';
export { parseSetArgument, applySetOverrides, type SetOverride } from './set-overrides.js';
export { closestName, editDistance } from './closest-name.js';
export { dispatchToBenchmarks, BENCHMARKS_CLI_MODULE, BENCHMARKS_REGISTRY_MODULE } from './bench-dispatch.js';
export { sampleCommand, type SampleCommandOptions } from './sample-command.js';
export { loadSFTJsonl } from './lm-train.js';
export { LM_REWARD_FUNCTIONS, IMAGE_REWARD_FUNCTIONS } from './reward-functions.js';
