// Page: the URL the user is on and the context the host gave with ('page', …), which every
// event and request carries.
let ctx = null

export const href = () => location.href.slice(0, 2048)
export const route = () => ctx && ctx.route
export const pageInfo = () => ctx

// Keep only what the API accepts, so a sloppy host never turns a question into a 400.
export const setPage = (p) => {
  const c = {}
  const u = new URL(p.url || href(), href())
  for (const [k, v] of Object.entries(p.context || {}).slice(0, 20))
    if (/^[\w.-]{1,64}$/.test(k) && (v === !!v || Number.isFinite(v) || v === '' + v)) c[k] = v.slice ? v.slice(0, 200) : v
  ctx = {
    url: /^https?:$/.test(u.protocol) ? u.href.slice(0, 2048) : null,
    route: /^\/[^\s<>"`\\|^]*$/.test(p.route) ? p.route : null,
    title: p.title ? String(p.title).slice(0, 300) : null,
    context: c,
  }
}

// The user went to `url`: the host's context ends unless the host gave it for that URL.
export const moved = (url) => ctx && ctx.url != url && (ctx = null)
