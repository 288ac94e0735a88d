import type { ImageDataset } from '../data/image-dataset.js';
import type { ImagePreferenceDataset } from '../dpo/image-preference-dataset.js';

/**
 * The preferred image of every pair as an {@link ImageDataset} (no copy of the pixels), the
 * training data of the "SFT on winners" baseline.
 * @param numClasses - number of real classes (for the dataset's `numClasses`); labels are kept.
 */
export function preferredImages(pairs: ImagePreferenceDataset, numClasses: number): ImageDataset {
  return {
    images: pairs.chosen,
    labels: pairs.labels,
    count: pairs.count,
    imageShape: pairs.imageShape,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => String(i)),
  };
}
