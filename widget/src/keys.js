// The keys of the strings (i18n.js): their positions. A module of its own, without imports,
// so that esbuild inlines the numbers and no key name is shipped.
// prettier-ignore
export const HELP = 0, TITLE = 1, CLOSE = 2, LABEL = 3, ASK = 4, RELATED = 5, WAIT = 6, HELPFUL = 7, YES = 8, NO = 9,
  THANKS = 10, SORRY = 11, SUGGEST = 12, NONE = 13, CONTACT = 14, ERROR = 15, RETRY = 16, BACK = 17, EMAIL = 18,
  NAME = 19, MESSAGE = 20, REQUIRED = 21, SEND = 22, BAD = 23, SENT = 24, FAIL = 25, DISMISS = 26, READ = 27, GET_HELP = 28