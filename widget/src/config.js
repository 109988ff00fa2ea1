// Configuration: the script tag's data-* attributes (site, api, help, position, color,
// launcher-text, locale, z-index, open, debug) merged with init options; the API base
// (the script's origin by default), the locale ("de-AT" → "de") and text direction.
export const cfg = {}

export const tag = document.currentScript || [...document.scripts].find((s) => /\/widget\W?\w*\.js/.test(s.src))

export const debug = (...a) => cfg.debug && console.debug('frontdesk', ...a)

const flag = (v) => v != null && v !== false && v != 'false'
const trim = (u) => String(u || '').replace(/\/+$/, '')

export const configure = (o) => {
  Object.assign(cfg, o)
  cfg.api = trim(cfg.api) || new URL(tag ? tag.src : location.href).origin
  cfg.site = /^[\w.-]{1,64}$/.test(cfg.site) ? cfg.site : 'default'
  const l = String(cfg.locale || document.documentElement.lang || navigator.language).toLowerCase().split(/[-_]/)[0]
  cfg.locale = /^[a-z]{2,3}$/.test(l) ? l : 'en'
  cfg.rtl = /^(ar|he|fa|ur)$/.test(l)
  cfg.debug = flag(cfg.debug)
  cfg.open = flag(cfg.open)
}

configure(tag && { ...tag.dataset })
