// Conversation: what the contact form hands over to a human. What the visitor and Frontdesk
// said (transcript) and the request id of Frontdesk's last reply; in the panel's file (the
// user the host identified is the first load's: user.js).
export const transcript = []
export let lastRequest = null

export const replied = (id) => (lastRequest = id)
