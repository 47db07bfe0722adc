import { defineMessages } from '../define.js';

// Keys of the pricing view start with "pricing.".
export const pricing = defineMessages({}, {});
