// The panel's strings, English and German: t(KEY) picks the visitor's language. Their keys
// (keys.js) come after the first load's four (i18n.js).
import { cfg } from './config.js'

const en =
  "How can we help?|Close|Ask a question|Ask|Related articles|Looking for an answer…|Did this answer your question?|Yes|No|Thanks for your feedback!|Sorry about that. Our team can help.|These articles may help:|I couldn't find an answer to that.|Contact support|Something went wrong. Please try again.|Try again|Back|Email|Name|Message|required|Send|Please enter your email address and a message.|Thanks, we'll email you at |We couldn't send your message right now.|Help for this page|Common questions|These may answer your message:|Answer"
const de =
  'Wie können wir helfen?|Schließen|Frage stellen|Fragen|Verwandte Artikel|Suche nach einer Antwort…|Hat das Ihre Frage beantwortet?|Ja|Nein|Danke für Ihr Feedback!|Das tut uns leid. Unser Team hilft gern.|Diese Artikel könnten helfen:|Dazu habe ich keine Antwort gefunden.|Support kontaktieren|Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.|Erneut versuchen|Zurück|E-Mail|Name|Nachricht|Pflichtfeld|Senden|Bitte geben Sie Ihre E-Mail-Adresse und eine Nachricht ein.|Danke, wir antworten Ihnen an |Ihre Nachricht konnte gerade nicht gesendet werden.|Hilfe zu dieser Seite|Häufige Fragen|Das könnte Ihre Nachricht beantworten:|Antwort'

export const t = (k) => (cfg.locale == 'de' ? de : en).split('|')[k - 4]
