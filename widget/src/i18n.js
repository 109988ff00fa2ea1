// Strings of the first load: English, and German for locale "de"; t(KEY) picks the visitor's
// language. The keys (keys.js) are the strings' positions; the panel's are in strings.js.
import { cfg } from './config.js'

export const t = (k) => (cfg.locale == 'de' ? 'Hilfe|Ausblenden|Artikel lesen|Hilfe erhalten' : 'Help|Dismiss|Read the article|Get help').split('|')[k]
