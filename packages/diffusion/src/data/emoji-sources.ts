import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { DPOTSError, InvalidArgumentError } from '@dpo-ts/core';

/** The emoji art sets used here: only those whose artwork is openly licensed. */
export type EmojiVendor = 'twitter' | 'google';

/** Every {@link EmojiVendor}, in the order datasets list them. */
export const EMOJI_VENDORS: readonly EmojiVendor[] = Object.freeze(['twitter', 'google'] as const);

/** The licence of one vendor's emoji artwork, as the data package's README states it. */
export interface EmojiArtworkLicense {
  /** The art set this licence covers (`'twitter'`: Twemoji; `'google'`: Noto Emoji). */
  readonly vendor: EmojiVendor;
  /** The npm package the images come from (the package itself is MIT; the art is not). */
  readonly packageName: string;
  /** The version the loader was written and tested against. */
  readonly packageVersion: string;
  /** The artwork's project. */
  readonly artwork: string;
  /** SPDX identifier of the artwork licence. */
  readonly license: string;
  /** Where the licence text lives. */
  readonly licenseUrl: string;
  /** The attribution to show wherever the images, or models trained on them, are shown. */
  readonly attribution: string;
}

/**
 * Artwork licences, read from the `emoji-datasource-*` 16.0.0 READMEs ("Twitter images are
 * available under the Creative Commons Attribution 4.0 license"; "Android/Google/Noto images,
 * are available under the Apache License 2.0"). Apple and Facebook images are not openly
 * licensed and are never loaded. The same records are in the package's NOTICE file.
 */
export const EMOJI_ARTWORK_LICENSES: Readonly<Record<EmojiVendor, EmojiArtworkLicense>> = Object.freeze({
  twitter: Object.freeze({
    vendor: 'twitter',
    packageName: 'emoji-datasource-twitter',
    packageVersion: '16.0.0',
    artwork: 'Twemoji (jdecked/twemoji fork, v16.0.1)',
    license: 'CC-BY-4.0',
    licenseUrl: 'https://github.com/jdecked/twemoji/blob/v15.0.2/LICENSE-GRAPHICS',
    attribution:
      'Twemoji graphics, Copyright Twitter, Inc and other contributors, licensed under CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)',
  }),
  google: Object.freeze({
    vendor: 'google',
    packageName: 'emoji-datasource-google',
    packageVersion: '16.0.0',
    artwork: 'Noto Emoji (googlefonts/noto-emoji, v2.048)',
    license: 'Apache-2.0',
    licenseUrl: 'https://github.com/googlei18n/noto-emoji/blob/master/LICENSE',
    attribution: 'Noto Emoji images, Copyright Google Inc., licensed under the Apache License 2.0',
  }),
});

/** The package of emoji labels and tags (MIT) that richer captions come from. */
export const EMOJIBASE_DATA_PACKAGE = 'emojibase-data';

/**
 * Finds an installed optional peer dependency and returns its root directory.
 * The emoji data packages are 60-75 MB each, so @dpo-ts/diffusion does not install them: the
 * application does, and this names the one that is missing.
 *
 * @param resolveFrom - the module to resolve from (tests pass another to simulate absence).
 * @throws DPOTSError `emoji-datasource-google is not installed: ... npm install emoji-datasource-google@16.0.0`.
 */
export function optionalPackageDirectory(
  packageName: string,
  version: string,
  resolveFrom: string = import.meta.url,
): string {
  if (typeof packageName !== 'string' || packageName === '')
    throw new InvalidArgumentError('packageName', 'a non-empty string', packageName);
  try {
    return dirname(createRequire(resolveFrom).resolve(`${packageName}/package.json`));
  } catch (error) {
    throw new DPOTSError(
      `${packageName} is not installed: it is an optional peer dependency of @dpo-ts/diffusion, needed for the emoji dataset. ` +
        `Install it with: npm install ${packageName}@${version}`,
      { cause: error },
    );
  }
}

/** Reads and parses a JSON file inside an installed package; errors name the file. */
export function readPackageJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new DPOTSError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
