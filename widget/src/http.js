// HTTP: JSON requests to the Frontdesk API, never with cookies; resolves to {ok, status, d}
// (d: the parsed body or null) and rejects only on network errors and timeouts.
import { cfg } from './config.js'

export const req = async (path, body) => {
  const r = await fetch(cfg.api + path, {
    method: body && 'POST',
    body: body && JSON.stringify(body),
    headers: body && { 'Content-Type': 'application/json' },
    credentials: 'omit',
    mode: 'cors',
    signal: AbortSignal.timeout && AbortSignal.timeout(2e4),
  })
  let d = null
  try {
    d = await r.json()
  } catch {}
  return { ok: r.ok, status: r.status, d }
}
