import { defineMessages } from '../define.js';

// Keys of the settings view start with "settings.".
export const settings = defineMessages({}, {});
