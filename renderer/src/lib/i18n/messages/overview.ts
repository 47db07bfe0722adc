import { defineMessages } from '../define.js';

// Keys of the overview view start with "overview.".
export const overview = defineMessages({}, {});
