// Entry point of the first load and public API: replaces the embed snippet's queueing stub
// with the real window.Frontdesk, replays the queued calls in order, then shows the launcher.
// Calls that need the panel wait for its file (lazy.js); nothing is lost meanwhile.
import { cfg, configure, debug } from './config.js'
import { safe } from './dom.js'
import { setPage } from './page.js'
import { watch, unwatch } from './navigation.js'
import { start as startEvents, stop as stopEvents } from './events.js'
import { on, clear } from './bus.js'
import { identify } from './user.js'
import { visitor } from './storage.js'
import { mount, unmount, restyle, isOpen } from './launcher.js'
import { use, now, idle } from './lazy.js'
import { track, refresh, start as startPrompts, end } from './prompts.js'
import { core } from './core.js'

let live
let later = [] // UI calls queued before the widget was mounted

const open = (source) => use((p) => p.open(source))
const close = () => now((p) => p.close())

const start = () => {
  live = 1
  visitor() // the visitor id exists from the first load on
  watch()
  startEvents()
  mount()
  startPrompts()
  idle()
  cfg.open && open('auto')
}

const commands = {
  init: (o = {}) => {
    const was = cfg.locale + cfg.launcherText
    configure(o)
    if (later) return
    if (!live) return start()
    if (was != cfg.locale + cfg.launcherText) close(), unmount(), mount()
    restyle()
    o.open && open('auto')
  },
  open: () => open('api'),
  close,
  toggle: () => (isOpen ? close() : open('api')),
  ask: (q) => use((p) => p.views.ask(q)),
  article: (id) => use((p) => p.views.article(id, '', 'api')),
  deflect: (field, o) => use((p) => p.deflect(field, o)),
  page: (p) => (setPage(p), refresh()),
  track,
  identify,
  on,
  destroy: () => {
    live = 0
    now((p) => p.end())
    end()
    unmount()
    unwatch()
    stopEvents()
    clear()
  },
}

const api = safe((cmd, ...args) => {
  if (!commands.hasOwnProperty(cmd)) return debug('unknown', cmd)
  if (later && /^(open|close|toggle|ask|article|deflect)$/.test(cmd)) return later.push([cmd, ...args])
  if (!live && !later && cmd != 'init') return debug('destroyed', cmd)
  return commands[cmd](...args)
})
api.fd = core // what the panel's file shares (core.js)

// Replaces the stub at once (calls before the body exists wait in `later`), starts when
// the body is there; a second copy of the script finds the real API and does nothing.
const f = window.Frontdesk
if (!(f && f.fd) && document.adoptedStyleSheets) {
  window.Frontdesk = api
  for (const a of (f && f.q) || []) api(...a)
  const go = safe(() => {
    const l = later
    later = 0
    start()
    for (const a of l) api(...a)
  })
  document.body ? go() : addEventListener('DOMContentLoaded', go)
}
