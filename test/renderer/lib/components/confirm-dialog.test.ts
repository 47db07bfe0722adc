import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ConfirmDialog from '../../../../renderer/src/lib/components/ConfirmDialog.svelte';

/** What Escape sends a modal dialog before it closes it: a cancel event the page may refuse. */
function escape(dialog: HTMLDialogElement): boolean {
  const event = new Event('cancel', { cancelable: true });
  dialog.dispatchEvent(event);
  return event.defaultPrevented;
}

describe('the question before a delete or a re-pricing', () => {
  it('stays open on Escape while its work runs (its progress is shown there, and Escape cannot stop it), and closes on Escape before', () => {
    const question = { open: true, title: 'Delete all data of this model?', onconfirm: () => {} };
    const idle = render(ConfirmDialog, { ...question, busy: false });
    expect(escape(idle.container.querySelector('dialog')!)).toBe(false);
    idle.unmount();

    const working = render(ConfirmDialog, { ...question, busy: true });
    expect(escape(working.container.querySelector('dialog')!)).toBe(true);
    for (const button of working.container.querySelectorAll('button')) expect(button.disabled).toBe(true);
  });
});
