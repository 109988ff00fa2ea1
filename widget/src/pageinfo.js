// Page info: the page context that questions and tickets carry. Only what the API accepts,
// so a sloppy host never turns a question into a 400.
import { cfg } from './config.js'
import { given } from './page.js'

export const pageInfo = (p = given()) => {
  if (!p) return null
  const c = {}
  for (const [k, v] of Object.entries(p.context || {}).slice(0, 20))
    if (/^[\w.-]{1,64}$/.test(k) && (v === !!v || Number.isFinite(v) || v === '' + v)) c[k] = v.slice ? v.slice(0, 200) : v
  return { url: p.url, route: p.route, title: p.title ? String(p.title).slice(0, 300) : null, context: c }
}

// where articles live (data-help, else the API's origin)
export const helpBase = () => String(cfg.help || '').replace(/\/+$/, '') || cfg.api
