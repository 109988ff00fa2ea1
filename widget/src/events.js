// Events: every interaction becomes an event with a fixed id, written to the localStorage
// queue before any send and removed only once the server stored it (2xx) or refused it for
// good (4xx but 408/429). Batches go by fetch (keepalive, text/plain: no preflight) with
// jittered backoff, and by sendBeacon on pagehide/hidden; beaconed events stay queued
// (a beacon cannot report success) and go again later: the server de-duplicates by id.
// Each event is also emitted on the bus under its type.
import { cfg, debug } from './config.js'
import { load, save, key, rid, session, visitor } from './storage.js'
import { href, route } from './page.js'
import { safe } from './dom.js'
import { emit } from './bus.js'

const type = 'text/plain;charset=UTF-8'
let mine = [] // this tab's unacknowledged events: they survive a racing write by another tab
let max = 20 // 1 after a batch was refused as a whole, to find the bad event
let timer
let busy
let fails = 0

// stored queue ∪ this tab's events, minus `gone`; the newest 500 are written back
const merge = (gone = []) => {
  const seen = new Set(gone)
  mine = mine.filter((e) => !seen.has(e.id))
  return save(key('queue'), [].concat(load(key('queue')) || [], mine).filter((e) => e && e.id && !seen.has(e.id) && seen.add(e.id)).slice(-500))
}

// the next batch: ≤ max events, ≤ 60 KB, at least one
const take = (q, n = 0) => q.filter((e, i) => i < max && ((n += new Blob([JSON.stringify(e)]).size) < 6e4 || !i))
const body = (b) => JSON.stringify({ site: cfg.site, events: b })
const url = () => cfg.api + '/api/v1/events'
const later = (ms) => (timer = timer || setTimeout(flush, ms))

const flush = safe(async () => {
  clearTimeout(timer)
  timer = 0
  const batch = take(merge())
  if (busy || !batch[0] || navigator.onLine === false) return
  busy = 1
  let st = 0
  try {
    st = (await fetch(url(), { method: 'POST', body: body(batch), keepalive: true, headers: { 'Content-Type': type }, credentials: 'omit', mode: 'cors' })).status
  } catch (e) {
    debug(e)
  }
  busy = 0
  max = st == 400 && batch[1] ? 1 : 20
  if (max < 2) return later(0)
  if (st < 200 || st == 408 || st == 429 || st > 499) return later(Math.min(6e4, 1e3 * 2 ** fails++) * (0.5 + Math.random() / 2))
  st > 299 && debug('refused', st, batch)
  fails = 0
  merge(batch.map((e) => e.id))[0] && later(0)
})

const beacon = safe(() => {
  for (let q = merge(), b; q[0] && navigator.sendBeacon(url(), new Blob([body((b = take(q)))], { type })); q = q.slice(b.length));
})

export const log = (type, extra) => {
  const e = { id: rid(), type, session_id: session(), visitor_id: visitor(), page_url: href(), ts: Date.now(), route: route(), ...extra }
  mine = [...mine, e].slice(-500)
  merge()
  debug(e)
  emit(type, { ...e })
  later(1e3)
}

const hidden = () => document.visibilityState == 'hidden' && beacon()
const online = () => flush((fails = 0))
const listen = (f) => {
  f('pagehide', beacon)
  f('visibilitychange', hidden)
  f('online', online)
}

export const start = () => {
  listen(addEventListener)
  merge()[0] && later(1e3)
}

export const stop = () => {
  listen(removeEventListener)
  clearTimeout(timer)
  timer = 0
  beacon()
}
