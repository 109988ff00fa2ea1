// Core: what the panel's file uses of the first load's modules, which main.js hands over on
// window.Frontdesk.fd, so that both files share one state (one event queue, one bus, one
// configuration). build.mjs writes its content for each build: an array with, in places it
// chose, every name the panel imports from a module of the first load (a `let` as a function
// that reads it); the panel's stand-ins for those modules read them from there.
export const core = []
