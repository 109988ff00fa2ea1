// Page awareness: the URL the user is on, the context the host gave with ('page', …), and
// SPA navigation (wrapped history.pushState/replaceState, popstate, hashchange).
import { log } from './events.js'
import { safe } from './dom.js'

let ctx = null
let last
let undo = []

export const href = () => location.href.slice(0, 2048)
export const route = () => ctx && ctx.route
export const pageInfo = () => ctx

// Keep only what the API accepts, so a sloppy host never turns a question into a 400.
export const setPage = (p) => {
  const c = {}
  const u = new URL(p.url || href(), href())
  for (const [k, v] of Object.entries(p.context || {}).slice(0, 20))
    if (/^[\w.-]{1,64}$/.test(k) && (typeof v == 'boolean' || Number.isFinite(v) || typeof v == 'string')) c[k] = v.slice ? v.slice(0, 200) : v
  ctx = {
    url: /^https?:$/.test(u.protocol) ? u.href.slice(0, 2048) : null,
    route: /^\/\S{0,511}$/.test(p.route) ? p.route : null,
    title: p.title ? String(p.title).slice(0, 300) : null,
    context: c,
  }
}

const check = safe(() => {
  const from = last
  if ((last = href()) == from) return
  if (ctx && ctx.url != last) ctx = null
  // a microtask later, so that a host calling ('page', …) right after pushState is seen
  queueMicrotask(safe(() => log('page_changed', { from_url: from })))
})

export const watch = () => {
  last = href()
  for (const k of ['pushState', 'replaceState']) {
    const orig = history[k]
    let on = 1
    const f = (history[k] = function () {
      const r = orig.apply(this, arguments)
      on && check()
      return r
    })
    undo.push(() => {
      on = 0
      if (history[k] == f) history[k] = orig
    })
  }
  for (const t of ['popstate', 'hashchange']) addEventListener(t, check), undo.push(() => removeEventListener(t, check))
}

export const unwatch = () => {
  undo.map((f) => f())
  undo = []
}
