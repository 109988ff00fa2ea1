// Bus: the one event bus. Its topics: each logged event's type, 'open', 'close', 'answer' and
// 'ticket' (what ('on', name, callback) hears), and 'track:' + name for ('track', name).
// A callback that throws stops neither the others nor its emitter.
import { safe } from './dom.js'

let subs = {}

export const on = (name, f) => (subs[name] = subs[name] || []).push(f)

export const off = (name, f) => (subs[name] = (subs[name] || []).filter((g) => g != f))

export const emit = (name, d) => (subs[name] || []).map((f) => safe(f)(d))

export const clear = () => (subs = {})
