// The keys of the strings (i18n.js, strings.js): their positions. A module of its own,
// without imports, so that esbuild inlines the numbers and no key name is shipped; the panel
// bundles its own copy (build.mjs). 0–3 are the first load's strings, the rest the panel's.
// prettier-ignore
export const HELP = 0, DISMISS = 1, READ = 2, GET_HELP = 3,
  TITLE = 4, CLOSE = 5, LABEL = 6, ASK = 7, RELATED = 8, WAIT = 9, HELPFUL = 10, YES = 11, NO = 12,
  THANKS = 13, SORRY = 14, SUGGEST = 15, NONE = 16, CONTACT = 17, ERROR = 18, RETRY = 19, BACK = 20, EMAIL = 21,
  NAME = 22, MESSAGE = 23, REQUIRED = 24, SEND = 25, BAD = 26, SENT = 27, FAIL = 28, ON_PAGE = 29, QUESTIONS = 30,
  MAY_HELP = 31, ANSWER = 32
