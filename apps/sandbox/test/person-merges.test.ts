import { describe, expect, it } from 'vitest'
import { makeEvent, sendBatch, useSandbox } from './helpers.js'

const sandbox = useSandbox()

const identify = (user: string, anon: string) =>
  makeEvent({ event: '$identify', distinct_id: user, properties: { $anon_distinct_id: anon } })
const alias = (distinctId: string, other: string, event = '$create_alias') =>
  makeEvent({ event, distinct_id: distinctId, properties: { alias: other } })
const groups = () =>
  sandbox()
    .persons()
    .merged.map((g) => g.distinct_ids.join('+'))
    .sort()

describe('persons as PostHog merges them, in arrival order', () => {
  it('refuses to merge an already identified person into another: the alias direction matters', async () => {
    await sendBatch(sandbox(), [
      makeEvent({ distinct_id: 'anon1' }),
      identify('u42', 'anon2'),
      // Mixpanel's direction: the user's id in `alias`, its person already identified by the $identify.
      alias('anon1', 'u42'),
    ])
    expect(groups()).toEqual(['anon1', 'anon2+u42'])
    expect(sandbox().persons().refused_merges).toMatchObject([
      { kind: 'alias', distinct_id: 'anon1', other_id: 'u42', reason: 'cannot_merge_already_identified' },
    ])
    // PostHog's direction: the anonymous person is merged into the user's.
    sandbox().reset()
    await sendBatch(sandbox(), [
      makeEvent({ distinct_id: 'anon1' }),
      identify('u42', 'anon2'),
      alias('u42', 'anon1'),
    ])
    expect(groups()).toEqual(['anon1+anon2+u42'])
    expect(sandbox().persons().refused_merges).toEqual([])
  })

  it('merges identified persons with $merge_dangerously, and refuses ids PostHog will not merge on', async () => {
    await sendBatch(sandbox(), [
      identify('a', 'a-device'),
      identify('b', 'b-device'),
      alias('a', 'b'),
      alias('a', 'b', '$merge_dangerously'),
      identify('c', 'null'),
    ])
    expect(groups()).toEqual(['a+a-device+b+b-device', 'c'])
    expect(
      sandbox()
        .persons()
        .refused_merges.map((r) => [r.kind, r.reason]),
    ).toEqual([
      ['alias', 'cannot_merge_already_identified'],
      ['identify', 'illegal_distinct_id'],
    ])
    expect(sandbox().persons({ distinct_id: 'b' }).merged).toEqual([
      { distinct_ids: ['a', 'a-device', 'b', 'b-device'], identified: true },
    ])
  })

  it('a link to itself identifies nobody; a refused merge still identifies the distinct id’s person', async () => {
    await sendBatch(sandbox(), [identify('u1', 'u1'), identify('u2', 'u1')])
    // u1 was never identified by its self-link, so it merges into u2.
    expect(groups()).toEqual(['u1+u2'])
    sandbox().reset()
    await sendBatch(sandbox(), [
      identify('a', 'a-dev'),
      makeEvent({ distinct_id: 'b' }),
      makeEvent({ distinct_id: 'c' }),
      identify('b', 'a'), // refused: a is identified; b is marked identified anyway
      identify('c', 'b'), // so this one is refused too (both persons exist)
    ])
    expect(groups()).toEqual(['a+a-dev', 'b', 'c'])
    expect(
      sandbox()
        .persons()
        .refused_merges.map((r) => r.distinct_id),
    ).toEqual(['b', 'c'])
  })
})
