import { defineMessages } from '../define.js';

// Keys of the models view start with "models.".
export const models = defineMessages({}, {});
