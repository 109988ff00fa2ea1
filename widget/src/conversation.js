// Conversation: what the contact form hands over to a human. What the visitor and Frontdesk
// said (transcript), the request id of Frontdesk's last reply, and the user the host identified.
export const transcript = []
export let lastRequest = null
export let user = null

export const replied = (id) => (lastRequest = id)

// ('identify', …): id, email, name and signature when they are strings; traits flat,
// ≤ 20 strings, numbers or booleans (prompt audiences match them)
export const identify = (u) => {
  user = u && {}
  for (const k of ['id', 'email', 'name', 'signature']) if (u && typeof u[k] == 'string') user[k] = u[k]
  if (u && u.traits) user.traits = Object.fromEntries(Object.entries(u.traits).filter(([, v]) => /^(st|bo|nu)/.test(typeof v)).slice(0, 20))
}
