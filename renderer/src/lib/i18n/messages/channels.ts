import { defineMessages } from '../define.js';

// Keys of the channels view start with "channels.".
export const channels = defineMessages({}, {});
