import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeak } from '@dpo-ts/core/testing';
import { CharTokenizer, GPT, generate, tokenLogProbs } from '@dpo-ts/lm';
import { afterAll, describe, it } from 'vitest';
import { outputLogits, responseLogProbs } from './response-forward.js';
import { layoutRollout, rolloutTensors } from './rollout-layout.js';

const tokenizer = CharTokenizer.fromCorpus(['abcde >']);

describe('responseLogProbs', () => {
  const tied = new GPT({ vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 16, nLayer: 2, nHead: 2, seed: 5 });
  const untied = new GPT({
    vocabSize: tokenizer.vocabSize,
    contextLength: 16,
    dModel: 16,
    nLayer: 1,
    nHead: 2,
    seed: 6,
    tieWeights: false,
  });
  afterAll(() => {
    tied.dispose();
    untied.dispose();
  });

  it("equals each row scored alone, and the sampler's own log-probs (left padding is exact)", async () => {
    const prompts = [tokenizer.encode('ab>', { addBos: true }), tokenizer.encode('>', { addBos: true })];
    const temperature = 0.7;
    const generation = await generate(tied, tokenizer, prompts, { maxNewTokens: 6, temperature, seed: 3 });
    const layout = layoutRollout(prompts, generation, tokenizer.padTokenId);
    await expectNoLeak(() =>
      tf.tidy(() => {
        const { logProbs } = responseLogProbs(tied, rolloutTensors(layout), temperature);
        const rows = logProbs.arraySync();
        prompts.forEach((prompt, b) => {
          const length = generation.lengths[b]!;
          const alone = tokenLogProbs(
            tied,
            tf.tensor2d([[...prompt, ...generation.tokenIds[b]!.slice(0, length)]], undefined, 'int32'),
            { temperature },
          );
          const expected = alone.arraySync()[0]!.slice(prompt.length - 1);
          expectClose(rows[b]!.slice(0, length), expected, { atol: 1e-5 });
          expectClose(rows[b]!.slice(0, length), generation.logProbs[b]!.slice(0, length), { atol: 1e-4 });
        });
      }),
    );
  });

  it("projects hidden states with the model's own head, tied or not", async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const ids = tf.tensor2d([[1, 5, 6, 7]], undefined, 'int32');
        for (const model of [tied, untied]) {
          const hidden = model.hiddenStates(ids);
          expectClose(outputLogits(model, hidden), tf.reshape(model.forward(ids), [4, tokenizer.vocabSize]), {
            atol: 1e-5,
          });
        }
      }),
    );
  });
});
