// Storage: localStorage that may throw or be missing (a memory copy stands in), random
// ids, the persistent visitor id and the session id renewed after 30 idle minutes.
import { cfg } from './config.js'

const mem = {}
export const key = (k) => `frontdesk:${cfg.site}:${k}`

export const load = (k) => {
  try {
    const v = localStorage.getItem(k)
    if (v) return JSON.parse(v)
  } catch {}
  return mem[k]
}

export const save = (k, v) => {
  mem[k] = v
  try {
    localStorage.setItem(k, JSON.stringify(v))
  } catch {}
  return v
}

// 24 url-safe characters: 144 random bits.
export const rid = () =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18)))).replace(/\W/g, (c) => (c == '+' ? '-' : '_'))

const ok = (v) => v && /^[\w.:-]{1,128}$/.test(v)

export const visitor = () => {
  const v = load(key('visitor'))
  return ok(v) ? v : (save(key('first'), session()), save(key('visitor'), rid())) // first: its session
}

export const session = (s = load(key('session')) || {}, now = Date.now()) =>
  save(key('session'), { id: ok(s.id) && now - s.t < 18e5 ? s.id : rid(), t: now }).id
