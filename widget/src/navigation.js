// Navigation: SPA navigation (wrapped history.pushState/replaceState, popstate, hashchange),
// each change of URL logged as page_changed.
import { log } from './events.js'
import { safe } from './dom.js'
import { href, moved } from './page.js'

let last
let undo = []

const check = safe(() => {
  const from = last
  if ((last = href()) == from) return
  moved(last)
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
