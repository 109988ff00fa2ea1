// Lazy: the panel's file (dist/panel.js, served as /widget/<content hash>.js), fetched once
// when the user is about to open help: the launcher hovered or focused, a prompt shown, a
// call that needs the panel, or idle time after the page loaded. Calls that need it wait for
// it in order; a failed fetch is tried again on the next occasion, or when back online.
import { tag } from './config.js'
import { safe } from './dom.js'

let api, tried, ready
const got = new Promise((r) => (ready = r))

// the panel's file calls this with what it offers (chunk.js)
export const loaded = (p) => ready((api = p))

export const warm = () => {
  if (api || tried) return
  const s = (tried = document.createElement('script'))
  s.src = new URL('/widget/' + PANEL_HASH + '.js', tag ? tag.src : location.href).href
  s.nonce = tag?.nonce
  s.onerror = () => (s.remove(), (tried = 0), addEventListener('online', warm, { once: true })) // offline: again once online
  document.head.append(s)
}

// f(panel) now if the panel is there, else once it is
export const use = (f) => (api ? safe(f)(api) : (warm(), got.then(safe(f))))

// f(panel) only if the panel is there
export const now = (f) => api && safe(f)(api)

// fetched anyway a while after the page loaded, when the browser is idle
export const idle = () => {
  const f = () => setTimeout(() => (window.requestIdleCallback || setTimeout)(warm, { timeout: 5e3 }), 3e3)
  document.readyState == 'complete' ? f() : addEventListener('load', f, { once: true })
}
