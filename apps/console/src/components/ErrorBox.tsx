import { errorText } from '../api';

/** An API error in words, announced to screen readers. */
export function ErrorBox({ error, what }: { error: unknown; what?: string }) {
  if (error === undefined || error === null) return null;
  return (
    <div role="alert" className="error">
      <strong>{what ? `Could not ${what}: ` : 'Error: '}</strong>
      {errorText(error)}
    </div>
  );
}
