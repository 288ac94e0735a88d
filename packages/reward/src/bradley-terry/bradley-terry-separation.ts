import { BradleyTerryFitError } from './bradley-terry-fit-error.js';
import type { IndexedComparisons } from './pairwise-comparisons.js';

/**
 * Checks, before fitting, that the Bradley-Terry strengths have a finite maximum-likelihood
 * estimate, and throws {@link BradleyTerryFitError} naming the items when they do not.
 *
 * Draw an arrow i -> j whenever i beat j at least once (a tie draws both arrows). The MLE of the
 * strengths exists if and only if this graph is strongly connected: however the items are split
 * in two groups, each group beat the other at least once (Zermelo 1929; Ford 1957, condition
 * (A); Hunter 2004, Assumption 1). Otherwise the strengths of a group that never lost to the
 * rest can grow without bound, the likelihood increasing all the way: an item that won all its
 * games is the smallest case. A graph that is not even connected (groups never compared at all)
 * is reported as `'disconnected'`: the groups have no common scale.
 *
 * The condition is exact for the plain and Davidson models. With a home-advantage term it is
 * necessary but not sufficient (for example, every game won by the home side sends delta to
 * infinity); the fit detects those cases while iterating.
 *
 * @see Ford, L. R. (1957). Solution of a ranking problem from binary comparisons. American
 *   Mathematical Monthly 64(8), 28-33.
 * @see Hunter, D. R. (2004). MM algorithms for generalized Bradley-Terry models. Annals of
 *   Statistics 32(1), 384-406.
 */
export function checkComparisonGraph(comparisons: IndexedComparisons, referenceItem: string): void {
  const { items, rows } = comparisons;
  const n = items.length;
  const beat: number[][] = Array.from({ length: n }, () => []); // beat[i]: items i beat (or tied)
  const beatenBy: number[][] = Array.from({ length: n }, () => []);
  const neighbours: number[][] = Array.from({ length: n }, () => []);
  const games = new Array<number>(n).fill(0);
  const addArrow = (winner: number, loser: number): void => {
    beat[winner]?.push(loser);
    beatenBy[loser]?.push(winner);
  };
  for (const row of rows) {
    if (row.games === 0) continue;
    const { homeIndex: h, awayIndex: a } = row;
    games[h] = (games[h] ?? 0) + row.games;
    games[a] = (games[a] ?? 0) + row.games;
    neighbours[h]?.push(a);
    neighbours[a]?.push(h);
    if (row.homeWins > 0 || row.ties > 0) addArrow(h, a);
    if (row.awayWins > 0 || row.ties > 0) addArrow(a, h);
  }

  const referenceIndex = items.indexOf(referenceItem);
  const reachable = new Set(depthFirstOrder([referenceIndex], neighbours));
  if (reachable.size < n) {
    const cutOff = items.filter((_, i) => !reachable.has(i));
    throw new BradleyTerryFitError(
      'disconnected',
      cutOff,
      `the comparison graph is disconnected: ${describeItems(cutOff)} ${cutOff.length === 1 ? 'was' : 'were'} ` +
        'never compared, directly or through ' +
        `other items, with the reference item ${JSON.stringify(referenceItem)}, so their strengths have no ` +
        'common scale; fit each connected group separately',
    );
  }

  const { component, count: componentCount } = stronglyConnectedComponents(beat, beatenBy);
  if (componentCount === 1) return;
  const hasIncoming = new Array<boolean>(componentCount).fill(false);
  const hasOutgoing = new Array<boolean>(componentCount).fill(false);
  beat.forEach((losers, winner) => {
    for (const loser of losers) {
      const from = component[winner] ?? 0;
      const to = component[loser] ?? 0;
      if (from !== to) {
        hasOutgoing[from] = true;
        hasIncoming[to] = true;
      }
    }
  });
  const members = (c: number): number[] => component.flatMap((value, i) => (value === c ? [i] : []));
  // Report the groups at the top (never lost to the rest) and bottom (never beat the rest) of
  // the win order. With two groups that is one split seen from both sides: name the smaller.
  let reported = Array.from({ length: componentCount }, (_, c) => c).filter((c) => !hasIncoming[c] || !hasOutgoing[c]);
  if (componentCount === 2) {
    const [first, second] = [members(0), members(1)];
    const source = hasIncoming[0] ? 1 : 0;
    reported = [first.length === second.length ? source : first.length < second.length ? 0 : 1];
  }
  const reasons: string[] = [];
  const involved: number[] = [];
  for (const c of reported) {
    const group = members(c);
    const names = group.map((i) => items[i] ?? '');
    if (!hasIncoming[c]) {
      involved.push(...group);
      reasons.push(
        group.length === 1
          ? `item ${JSON.stringify(names[0])} won all ${games[group[0] ?? 0]} of its games`
          : `${describeItems(names)} never lost to an item outside that group`,
      );
    } else if (!hasOutgoing[c]) {
      involved.push(...group);
      reasons.push(
        group.length === 1
          ? `item ${JSON.stringify(names[0])} lost all ${games[group[0] ?? 0]} of its games`
          : `${describeItems(names)} never beat an item outside that group`,
      );
    }
  }
  throw new BradleyTerryFitError(
    'separation',
    involved.sort((a, b) => a - b).map((i) => items[i] ?? ''),
    `${reasons.join('; ')}: ${involved.length === 1 ? 'its strength has' : 'their strengths have'} an infinite ` +
      'maximum-likelihood estimate (separation); the Bradley-Terry MLE exists only when every split of the ' +
      'items into two groups has each group beating the other at least once',
  );
}

/** `items "A", "B"` / `item "A"`, abbreviated after 10 names. */
function describeItems(names: readonly string[]): string {
  const quoted = names.map((name) => JSON.stringify(name));
  const shown = quoted.length > 10 ? [...quoted.slice(0, 10), `... (${quoted.length} in all)`] : quoted;
  return names.length === 1 ? `item ${shown[0]}` : `items ${shown.join(', ')}`;
}

/** Vertices in order of DFS completion (post-order), iteratively, from each start in turn. */
function depthFirstOrder(
  starts: readonly number[],
  adjacency: readonly (readonly number[])[],
  visited = new Set<number>(),
): number[] {
  const order: number[] = [];
  for (const start of starts) {
    if (visited.has(start)) continue;
    visited.add(start);
    const stack: { vertex: number; next: number }[] = [{ vertex: start, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const edges = adjacency[top.vertex] ?? [];
      const target = edges[top.next++];
      if (target === undefined) {
        order.push(top.vertex);
        stack.pop();
      } else if (!visited.has(target)) {
        visited.add(target);
        stack.push({ vertex: target, next: 0 });
      }
    }
  }
  return order;
}

/** Kosaraju: component id per vertex (0 .. count - 1, in the order components are found). */
function stronglyConnectedComponents(
  forward: readonly (readonly number[])[],
  backward: readonly (readonly number[])[],
): { component: number[]; count: number } {
  const n = forward.length;
  const finishOrder = depthFirstOrder(
    Array.from({ length: n }, (_, i) => i),
    forward,
  );
  const component = new Array<number>(n).fill(-1);
  const visited = new Set<number>();
  let count = 0;
  for (let k = finishOrder.length - 1; k >= 0; k--) {
    const root = finishOrder[k] ?? 0;
    if (visited.has(root)) continue;
    for (const vertex of depthFirstOrder([root], backward, visited)) component[vertex] = count;
    count++;
  }
  return { component, count };
}
