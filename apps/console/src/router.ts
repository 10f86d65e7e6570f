import { useEffect, useState } from 'react';

/** Hash routes (#/experiments/<id>): any static file server can serve the console, no rewrites needed. */
export function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'datasets').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const go = (...parts: string[]) => {
  location.hash = `#/${parts.map(encodeURIComponent).join('/')}`;
};
