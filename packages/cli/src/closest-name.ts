/**
 * Edit distance between two strings, compared case-insensitively: insertions, deletions,
 * substitutions and swaps of two adjacent characters each cost 1 (the optimal-string-alignment
 * variant of Damerau-Levenshtein), so the usual typos (`modle`, `lerningRate`) are 1 away.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // rows[i][j]: distance between the first i characters of x and the first j of y.
  const rows: number[][] = [Array.from({ length: y.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      let best = Math.min(
        rows[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        rows[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[x.length]![y.length]!;
}

/**
 * The known name closest to `name` by {@link editDistance}, when it is close enough to be a
 * likely typo (at most a third of the longer name's length, and at least 1 edit allowed);
 * `undefined` otherwise. Ties go to the earlier name in `known`.
 * @example closestName('lerningRate', ['learningRate', 'beta']) // 'learningRate'
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(1, Math.floor(Math.max(name.length, best.length) / 3)) ? best : undefined;
}
