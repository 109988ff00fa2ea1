// Launcher: what the first load shows. The host element and its shadow root, the launcher
// button and the spot for the prompts' bubble (tip); the open state they reflect. The panel
// (panel.js, in the second file) mounts in the same root; hovering or focusing the launcher
// fetches it, a click opens it once it is there.
import { cfg } from './config.js'
import { h, icon, safe } from './dom.js'
import { t } from './i18n.js'
import { HELP } from './keys.js'
import { base, theme } from './styles.js'
import { use, warm } from './lazy.js'

export let host, root, wrap, launcher, tip, isOpen
let sheet

export const restyle = safe(() => sheet && sheet.replaceSync(theme()))
const viewport = (f) => ['resize', 'scroll'].map((e) => window.visualViewport?.[f](e, restyle))

export const css = (text, s = new CSSStyleSheet()) => (s.replaceSync(text), s)

export const setOpen = (o) => {
  isOpen = o
  host.setAttribute('data-state', o ? 'open' : 'closed')
  launcher.setAttribute('aria-expanded', o)
  o && tip.replaceChildren() // no prompt while the panel is open
}

export const mount = () => {
  if (host) return
  host = document.createElement('frontdesk-widget')
  root = host.attachShadow({ mode: 'open' })
  sheet = new CSSStyleSheet()
  restyle()
  viewport('addEventListener')
  root.adoptedStyleSheets = [css(base), sheet]
  launcher = h(
    'button',
    {
      class: 'l', 'data-fd': 'launcher', 'aria-expanded': 'false',
      onclick: () => use((p) => (isOpen ? p.close() : p.open('launcher'))),
      onpointerenter: warm,
      onfocus: warm,
    },
    icon('M4 5h16v11H10l-6 4z'),
    cfg.launcherText || t(HELP),
  )
  tip = h('div', { class: 't', role: 'status', 'aria-live': 'polite' })
  root.append((wrap = h('div', { class: 'w', dir: cfg.rtl ? 'rtl' : 'ltr', lang: cfg.locale }, launcher, tip)))
  setOpen(false)
  document.body.append(host)
  performance.mark('frontdesk:launcher')
}

export const unmount = () => {
  viewport('removeEventListener')
  host && host.remove()
  host = sheet = tip = isOpen = 0
}
