import { defineMessages } from '../define.js';

// Keys of the data view start with "data.".
export const data = defineMessages({}, {});
