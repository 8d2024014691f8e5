/**
 * Lanes for labels on a time axis: each label stays centred on its own x
 * (it names a moment), and labels that would overlap go to the next lane
 * down instead of moving sideways. Greedy by x, which uses the fewest lanes
 * for intervals on a line.
 */

export interface LaneLabel {
  /** The centre of the label. */
  readonly x: number;
  readonly widthPx: number;
}

/**
 * The lane (0 the first) of each label, in the order given; null for a
 * label that fits none of `lanesMax` lanes. Two labels in one lane are at
 * least `gapPx` apart.
 */
export function assignLanes(
  labels: readonly LaneLabel[],
  gapPx: number,
  lanesMax = Number.POSITIVE_INFINITY,
): (number | null)[] {
  const lanes: (number | null)[] = labels.map(() => null);
  /** The right edge of the last label in each lane. */
  const rightEdges: number[] = [];
  const byX = labels
    .map((label, index) => ({ label, index }))
    .sort((a, b) => a.label.x - b.label.x);
  for (const { label, index } of byX) {
    const left = label.x - label.widthPx / 2;
    let lane = rightEdges.findIndex((right) => right + gapPx <= left);
    if (lane === -1) {
      if (rightEdges.length >= lanesMax) continue;
      lane = rightEdges.length;
      rightEdges.push(0);
    }
    rightEdges[lane] = label.x + label.widthPx / 2;
    lanes[index] = lane;
  }
  return lanes;
}
