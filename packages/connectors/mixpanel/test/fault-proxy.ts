import { request } from 'node:http'
import { type LoopbackServer, startLoopbackServer } from '@ph-import/testkit'

/**
 * A loopback server in front of the fake Mixpanel: testkit's fault plan (429 with Retry-After, a
 * revoked key, latency) applies first, every other request is forwarded unchanged, gzip included.
 * The fake's own knobs model Mixpanel's limits; these are the conformance suite's generic ones.
 */
export function startFaultProxy(target: string): Promise<LoopbackServer> {
  return startLoopbackServer({
    handler: (req, res, { url, body }) =>
      new Promise<void>((resolve, reject) => {
        const upstream = request(
          new URL(`${url.pathname}${url.search}`, target),
          { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
            answer.once('end', resolve)
            answer.once('error', reject)
          },
        )
        upstream.once('error', reject)
        res.once('close', () => upstream.destroy())
        upstream.end(body)
      }),
  })
}
