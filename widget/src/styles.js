// Styles: the shadow root's constructed stylesheets (no <style>, no style attributes, so a
// strict style-src CSP is fine; each line ends in \ so that no newline is shipped).
// base: the launcher's and the prompt bubble's styles, complete so that page CSS cannot
// reach them (the panel adds its own, panelstyles.js);
// theme(): accent colour with readable text on it, link colours, z-index, side, and the
// visual viewport's height on phones.
import { cfg } from './config.js'

export const base = `:host{all:initial!important;display:block!important;position:fixed!important}\
.w{--bg:#fff;--fg:#1f2328;--mu:#59636e;--bd:#d1d9e0;--s:#f3f5f7;font:15px/1.5 system-ui,-apple-system,sans-serif;color:var(--fg)}\
@media(prefers-color-scheme:dark){.w{--bg:#17191e;--fg:#e6edf3;--mu:#a3acb7;--bd:#3d444d;--s:#262a31}}\
*{box-sizing:border-box;margin:0;padding:0}\
button{font:inherit;color:inherit;padding:8px 12px;border:1px solid var(--mu);border-radius:8px;cursor:pointer;background:var(--s);font-weight:600}\
:focus-visible{outline:3px solid var(--ln);outline-offset:2px}\
svg{width:20px;fill:none;stroke:currentColor;stroke-width:2}\
.l,.row,.x{display:flex;gap:8px;align-items:center}\
.l{position:absolute;bottom:20px;height:48px;padding:0 20px;border-radius:24px;box-shadow:0 4px 14px #0004;white-space:nowrap;background:var(--a);color:var(--on);border-color:#0000}\
.t{position:absolute;bottom:80px;width:300px}\
.t>*{background:var(--bg);border:1px solid var(--bd);border-radius:12px;box-shadow:0 12px 40px #0005;animation:fd .2s;padding:0 16px 16px}\
@keyframes fd{from{opacity:0}}\
.x{border:0;background:none}\
.t>*>*{margin-top:8px}\
.t p{flex:1}\
.t>*>button{width:100%}\
@media(prefers-reduced-motion:reduce){*{animation:none!important}}`

// WCAG's relative luminance
const lum = (hex, c = hex[4] ? hex : hex.replace(/\w/g, '$&$&')) =>
  [0.2126, 0.7152, 0.0722].reduce((s, w, i, v) => ((v = parseInt(c.substr(i * 2 + 1, 2), 16) / 255), s + w * (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)), 0)
const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)

// what the panel adds to theme(): f(viewport, side) → CSS (panelstyles.js)
export const extra = []

// Placed against the visual viewport, which pinch zoom, the on-screen keyboard or a host
// page wider than the phone can move within the layout viewport (what position:fixed
// follows): the host element sits at its bottom corner.
export const theme = () => {
  const a = /^#([\da-f]{3}){1,2}$/i.test(cfg.color) ? cfg.color : '#2456c9'
  const L = lum(a)
  const z = Math.min(2147483647, Math.max(0, parseInt(cfg.zIndex) || 2147483e3))
  const side = cfg.position == 'left' || (cfg.position != 'right' && cfg.rtl) ? 'left' : 'right'
  const v = window.visualViewport || { width: innerWidth, height: innerHeight, offsetLeft: 0, offsetTop: 0 }
  // text on the accent: white or black, whichever contrasts more (always ≥ 4.58:1)
  // links: the accent where it is readable on the panel, else the body text colour
  return `:host{z-index:${z}!important;left:${v.offsetLeft + (side < 'r' ? 0 : v.width)}px!important;top:${v.offsetTop + v.height}px!important}\
.l,.t{${side}:20px}\
.t{max-width:${v.width - 40}px}\
.w{--a:${a};--on:${ratio(L, 1) > ratio(L, 0) ? '#fff' : '#000'};--ln:${ratio(L, 1) < 4.5 ? '#1f2328' : a}}\
@media(prefers-color-scheme:dark){.w{--ln:${ratio(L, 0.0097) /* #17191e */ < 4.5 ? '#e6edf3' : a}}}${extra.map((f) => f(v, side)).join('')}`
}
