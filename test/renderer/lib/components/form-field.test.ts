import { render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it } from 'vitest';
import FormField, { type ControlAttributes } from '../../../../renderer/src/lib/components/FormField.svelte';

// The control is the caller's: here a bare input that takes the attributes the field hands it.
const control = createRawSnippet((attributes: () => ControlAttributes) => ({
  render: () => '<input data-testid="control" />',
  setup: (input) => {
    for (const [name, value] of Object.entries(attributes())) if (value !== undefined) input.setAttribute(name, value);
  },
}));

describe('a form field', () => {
  it('names its control by the label, describes it by the hint and leaves it valid while there is no problem', () => {
    render(FormField, { id: 'poll', label: 'Poll every', error: undefined, hint: 'Seconds between two looks', control });
    const input = screen.getByLabelText('Poll every');
    expect(input).toBe(screen.getByTestId('control'));
    expect(input.getAttribute('aria-describedby')).toBe('poll-hint');
    expect(document.getElementById('poll-hint')?.textContent).toBe('Seconds between two looks');
    expect(input.getAttribute('aria-invalid')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('marks the control invalid and announces the problem', () => {
    render(FormField, { id: 'poll', label: 'Poll every', error: 'Enter a number', control });
    expect(screen.getByTestId('control').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('alert').textContent).toBe('Enter a number');
  });

  it('points at no hint when it has none, and says the extra label words to screen readers only', () => {
    render(FormField, { id: 'url-2', label: 'Base URL', labelExtra: 'channel 2', error: undefined, control });
    const input = screen.getByLabelText('Base URL channel 2');
    expect(input.getAttribute('aria-describedby')).toBeNull();
    expect(document.querySelector('label .sr-only')?.textContent).toBe('channel 2');
  });
});
