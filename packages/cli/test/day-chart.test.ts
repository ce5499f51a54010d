import { describe, expect, it } from 'vitest'
import { dayChart } from '../src/ui/day-chart.js'

const rowsOf = (chart: string) => chart.split('\n').map((row) => row.replace(/\s+/g, ' ').trim())

describe('jobs show: events per day', () => {
  it('shows every day from the first to the last, a short gap day by day', () => {
    const chart = dayChart(
      {
        '2024-03-01': { staged: 4, loaded: 4 },
        '2024-03-04': { staged: 2, loaded: 1 },
      },
      4,
    )
    expect(rowsOf(chart)).toEqual([
      '2024-03-01 ████ 4',
      '2024-03-02 · no events',
      '2024-03-03 · no events',
      '2024-03-04 █░ 1/2',
    ])
  })

  it('folds a long run of empty days into one row that says how long it is', () => {
    const chart = dayChart(
      {
        '2022-01-01': { staged: 1, loaded: 1 },
        '2024-03-01': { staged: 2, loaded: 2 },
      },
      2,
    )
    expect(rowsOf(chart)).toEqual([
      '2022-01-01 █ 1',
      '2022-01-02 · no events through 2024-02-29 (789 days)',
      '2024-03-01 ██ 2',
    ])
  })

  it('says so when nothing is staged yet', () => {
    expect(dayChart({})).toBe('  (no events staged yet)')
  })
})
