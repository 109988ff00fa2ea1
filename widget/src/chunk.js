// Entry point of the panel's file (dist/panel.js): the panel, its views and the form
// deflectors, handed to the first load (lazy.js), whose modules they share (build.mjs).
import { open, close, views } from './panel.js'
import './answers.js'
import './reader.js'
import './contact.js'
import './pagehelp.js'
import { deflect, end } from './deflect.js'
import { loaded } from './lazy.js'

loaded({ open, close, views, deflect, end })
