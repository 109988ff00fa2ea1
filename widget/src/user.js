// User: the user the host identified with ('identify', …), as given (prompt audiences match
// its id and traits); the contact form keeps what the API accepts (contact.js).
export let user = null

export const identify = (u) => (user = u && { ...u })
