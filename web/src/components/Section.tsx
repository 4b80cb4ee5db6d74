import type { ReactNode } from 'react';

/**
 * A part of a tabbed page: the tab names it on screen, and its heading keeps
 * the document outline for screen readers.
 */
export function Section({
  title,
  extra,
  children,
}: {
  readonly title: string;
  readonly extra?: ReactNode;
  readonly children: ReactNode;
}) {
  return (
    <section className="tab-section">
      <h2 className="sr-only">{title}</h2>
      {extra !== undefined && <div className="tab-section-extra">{extra}</div>}
      {children}
    </section>
  );
}
