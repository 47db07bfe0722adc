import { defineMessages } from '../define.js';

// Keys of the quick view start with "quick.".
export const quick = defineMessages({}, {});
