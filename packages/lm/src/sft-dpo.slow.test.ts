// "It learns", end to end on real text and on wasm (with core's gradient overrides): a tiny GPT
// is SFT'd briefly on UCI review sentences, then DPO'd on pairs whose preferred continuation is
// in CAPITALS, a property the reference almost never shows. Held-out preference accuracy must
// rise well above chance, and the policy's own samples (fixed seeds) must show more capitals
// than the reference's. About 1.5-2 minutes on 2 cores.
import * as tf from '@tensorflow/tfjs-core';
import { trainEvalSplit } from '@dpo-ts/core/data';
import { selectBackend } from '@dpo-ts/core/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { loadSentimentSentences } from './data/sentiment-sentences.js';
import { DPOTrainer } from './dpo-trainer.js';
import { GPT } from './gpt-model.js';
import { comparePolicyToReference } from './policy-comparison.js';
import { SFTTrainer } from './sft-trainer.js';

/** Share of letters that are upper case (0 without letters): the measured property. */
function upperCaseShare(text: string): number {
  const letters = [...text].filter((c) => /[a-z]/i.test(c));
  return letters.length === 0 ? 0 : letters.filter((c) => /[A-Z]/.test(c)).length / letters.length;
}

/** Prompt: the sentence up to the first space after 6 characters; continuation: the next 24 characters. */
function capitalsPair(text: string): { prompt: string; chosen: string; rejected: string } {
  const cut = text.indexOf(' ', 6);
  const prompt = text.slice(0, cut > 0 ? cut : 6);
  const rest = text.slice(prompt.length, prompt.length + 24);
  return { prompt, chosen: rest.toUpperCase(), rejected: rest };
}

describe('SFT then DPO on review sentences (wasm)', () => {
  const disposables: { dispose(): void }[] = [];
  afterAll(async () => {
    disposables.forEach((d) => {
      d.dispose();
    });
    await tf.setBackend('cpu');
  });

  it('raises held-out preference accuracy and the preferred property in samples', { timeout: 300_000 }, async () => {
    await selectBackend({ backend: 'wasm', quiet: true });
    const sentences = (await loadSentimentSentences()).map((s) => s.text);
    const tokenizer = CharTokenizer.fromCorpus(sentences);
    const { train, eval: heldOut } = trainEvalSplit(sentences, { evalSize: 300, seed: 1 });
    const model = new GPT({
      vocabSize: tokenizer.vocabSize,
      contextLength: 48,
      dModel: 64,
      nLayer: 2,
      nHead: 4,
      seed: 1,
    });
    disposables.push(model);

    const sft = await SFTTrainer.create({
      model,
      tokenizer,
      trainDataset: train.map((text) => ({ text })),
      evalDataset: heldOut.slice(0, 100).map((text) => ({ text })),
      config: {
        totalSteps: 150,
        learningRate: 3e-3,
        warmupSteps: 10,
        perDeviceTrainBatchSize: 16,
        perDeviceEvalBatchSize: 50,
        packing: true,
      },
    });
    const sftBefore = await sft.evaluate();
    await sft.train({ progress: false });
    const sftAfter = await sft.evaluate();
    sft.dispose();
    expect(sftAfter.eval_loss).toBeLessThan(sftBefore.eval_loss! - 1); // from ~log(vocab) to a few nats per character

    const usable = (text: string): boolean =>
      text.length > 20 && capitalsPair(text).rejected !== capitalsPair(text).chosen;
    const trainPairs = train.filter(usable).slice(0, 256).map(capitalsPair);
    const evalPairs = heldOut.filter(usable).slice(0, 64).map(capitalsPair);
    const dpo = await DPOTrainer.create({
      model,
      tokenizer,
      trainDataset: trainPairs,
      evalDataset: evalPairs,
      config: {
        totalSteps: 40,
        learningRate: 3e-4,
        beta: 0.1,
        perDeviceTrainBatchSize: 8,
        perDeviceEvalBatchSize: 32,
        maxPromptLength: 16,
        precomputeRefLogProbs: true,
      },
    });
    disposables.push(dpo);
    const before = await dpo.evaluate();
    await dpo.train({ progress: false });
    const after = await dpo.evaluate();
    expect(before['eval_rewards/accuracies']).toBe(0); // policy = reference: every margin ties
    expect(after['eval_rewards/accuracies']).toBeGreaterThan(0.8);
    expect(after['eval_rewards/margins']).toBeGreaterThan(0);

    const comparison = await comparePolicyToReference({
      policy: model,
      reference: dpo.referenceModel!,
      tokenizer,
      prompts: evalPairs.map((pair) => pair.prompt),
      reward: (completion) => upperCaseShare(completion),
      sampling: { maxNewTokens: 24, seed: 3, batchSize: 64 },
    });
    console.info(
      `SFT held-out loss ${sftBefore.eval_loss!.toFixed(3)} -> ${sftAfter.eval_loss!.toFixed(3)}; DPO held-out rewards/accuracies ${after['eval_rewards/accuracies']!.toFixed(3)}, ` +
        `margins ${after['eval_rewards/margins']!.toFixed(3)}; capitals in samples: reference ${comparison.reference.meanReward.toFixed(3)}, ` +
        `policy ${comparison.policy.meanReward.toFixed(3)}, win rate ${comparison.winRate.toFixed(3)}, KL ${comparison.klEstimate.toFixed(2)} nats`,
    );
    expect(comparison.reference.meanReward).toBeLessThan(0.15);
    expect(comparison.policy.meanReward).toBeGreaterThan(comparison.reference.meanReward + 0.1);
    expect(comparison.policy.meanReward).toBeGreaterThan(2 * comparison.reference.meanReward);
    expect(comparison.winRate).toBeGreaterThan(0.6);
  });
});
