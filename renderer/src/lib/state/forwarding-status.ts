import type { Language } from '../../../../shared/app.js';
import type { ForwardingStatus } from '../../../../shared/schemas/forwarding.js';
import { dateTime, numberFormat, shortTime } from '../format.js';
import type { MessageKey, MessageParams } from '../i18n/i18n.svelte.js';

/** A line of text by message key, so it follows a language switch while on screen. */
export interface StatusLine {
  key: MessageKey;
  params?: MessageParams;
  tone: 'ok' | 'muted' | 'warn' | 'bad';
  /** The last error, shown after the line when there is one. */
  error?: string;
}

/** Where a run of sending started: the acknowledged count then, so "1,000 of 3,200" counts this run only. */
export interface SendingBase {
  sentAtStart: number;
}

/** After this long a waiting record means the target is behind, not just between two batches. */
export const BEHIND_AFTER_MS = 60_000;

const sum = (counts: { requests: number; runs: number; circuits: number }): number => counts.requests + counts.runs + counts.circuits;

export function waitingCount(status: ForwardingStatus): number {
  return sum(status.waiting);
}

export function sentCount(status: ForwardingStatus): number {
  return sum(status.sent);
}

/** Grouped digits in the UI's language ("3,200"). */
export function count(value: number, language: Language): string {
  return numberFormat(language).format(value);
}

/** "10:42" for a time today, the date and time otherwise (a target down since yesterday says so). */
export function clockTime(ts: number, language: Language, now: number): string {
  const day = new Date(ts);
  const today = new Date(now);
  const sameDay = day.getFullYear() === today.getFullYear() && day.getMonth() === today.getMonth() && day.getDate() === today.getDate();
  return sameDay ? shortTime(ts, language) : dateTime(ts, language);
}

/**
 * The next sending base: a run of sending starts when the state turns to `sending` and ends with any
 * other state; within a run the base stays, so progress counts up.
 */
export function nextSendingBase(previous: SendingBase | null, status: ForwardingStatus): SendingBase | null {
  if (status.state !== 'sending') return null;
  return previous ?? { sentAtStart: sentCount(status) };
}

/** The one line that says what forwarding is doing. */
export function statusLine(status: ForwardingStatus, base: SendingBase | null, language: Language, now: number): StatusLine {
  const waiting = waitingCount(status);
  const error = status.lastError ?? undefined;
  if (!status.enabled || status.state === 'off') {
    return waiting > 0 ? { key: 'forwarding.status.offWaiting', params: { count: count(waiting, language) }, tone: 'muted' } : { key: 'forwarding.status.off', tone: 'muted' };
  }
  switch (status.state) {
    case 'rejected':
      return { key: 'forwarding.status.refused', params: { error: status.lastError ?? '?' }, tone: 'bad' };
    case 'unreachable': {
      const since = status.unreachableSince ?? now;
      return { key: 'forwarding.status.unreachable', params: { count: count(waiting, language), time: clockTime(since, language, now) }, tone: 'bad', ...(error ? { error } : {}) };
    }
    case 'sending': {
      const done = Math.max(0, sentCount(status) - (base?.sentAtStart ?? sentCount(status)));
      return { key: 'forwarding.status.sending', params: { done: count(done, language), total: count(done + waiting, language) }, tone: 'muted' };
    }
    case 'idle':
      if (waiting > 0) return { key: 'forwarding.status.waiting', params: { count: count(waiting, language) }, tone: 'warn' };
      return status.lastSentAt === null
        ? { key: 'forwarding.status.upToDateNever', tone: 'ok' }
        : { key: 'forwarding.status.upToDate', params: { time: clockTime(status.lastSentAt, language, now) }, tone: 'ok' };
  }
}

/** The dashboard's lag badge: only while forwarding is on and the target refuses, is away, or is behind. */
export function lagBadge(status: ForwardingStatus, language: Language, now: number): StatusLine | null {
  if (!status.enabled || status.state === 'off') return null;
  if (status.state === 'rejected') return { key: 'forwarding.badge.refused', tone: 'bad' };
  if (status.state === 'unreachable') return { key: 'forwarding.badge.unreachable', tone: 'bad' };
  const waiting = waitingCount(status);
  if (waiting > 0 && status.oldestWaitingAt !== null && now - status.oldestWaitingAt >= BEHIND_AFTER_MS) {
    return { key: 'forwarding.badge.behind', params: { count: count(waiting, language) }, tone: 'warn' };
  }
  return null;
}
