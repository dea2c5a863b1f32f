// Loads the classifier the service scores posts with.
import type { Moderator } from './app.js';

export async function loadModerator(): Promise<Moderator> {
  return {
    moderate: ({ text }) => {
      const contact = /[\w.+-]+@[\w-]+\.[\w.]+|0\d0[-\s]?\d{4}[-\s]?\d{4}|https?:\/\//i.test(text);
      return { decision: contact ? 'reject' : 'approve', score: contact ? 1 : 0, reasons: contact ? [{ code: 'CONTACT_INFO' }] : [], modelVersion: 'rules-0' };
    },
  };
}
