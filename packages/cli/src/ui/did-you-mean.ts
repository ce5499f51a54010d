/** Edit distance (insertions, deletions, substitutions, adjacent swaps): how far a typo is from a name. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ])
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[]
    const above = d[i - 1] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1)
      }
      row[j] = best
    }
  }
  return (d[a.length] as number[])[b.length] as number
}

/**
 * The known names closest to a mistyped one: within 2 edits (1 for names of up to 4 characters, where
 * 2 edits turn anything into anything), or a name that contains it or that it contains (`--host` for
 * `--posthog-host`). Closest first, at most three.
 */
export function closestNames(typed: string, known: readonly string[]): string[] {
  const limit = typed.length <= 4 ? 1 : 2
  return known
    .map((name) => ({ name, distance: editDistance(typed, name) }))
    .filter(
      ({ name, distance }) =>
        distance <= limit || (typed.length >= 4 && (name.includes(typed) || typed.includes(name))),
    )
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, 3)
    .map(({ name }) => name)
}
