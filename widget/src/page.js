// Page: the URL the user is on and what the host said of it with ('page', …): its route here
// (events and prompts carry it); the rest the panel reads when it asks (pageinfo.js).
let ctx = null

export const href = () => location.href.slice(0, 2048)
export const route = () => ctx && ctx.route
export const given = () => ctx

// An invalid route is left out, so a sloppy host never turns an event into a 400.
export const setPage = (p, u = new URL(p.url || href(), href())) =>
  (ctx = { ...p, url: /^https?:$/.test(u.protocol) ? u.href.slice(0, 2048) : null, route: /^\/[^\s<>"`\\|^]*$/.test(p.route) ? p.route : null })

// The user went to `url`: the host's context ends unless the host gave it for that URL.
export const moved = (url) => ctx && ctx.url != url && (ctx = null)
